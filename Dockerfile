# doseguard serve: the CDS Hooks service in a container (README "Deployment").
# tests/test_dockerfile.py runs this file's COPY and `RUN pip install` steps in a fresh virtual
# environment and starts its CMD (no Docker daemon on our machines): keep each pip install on a RUN of
# its own.

FROM python:3.11-slim AS build
# durable-rules is published as source only: its C core is compiled here, not in the image that runs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/doseguard
ENV PATH=/opt/doseguard/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY rules ./rules
RUN pip install --no-cache-dir ".[service,postgres]"

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin doseguard \
 && mkdir -p /etc/doseguard /var/lib/doseguard \
 && chown doseguard /var/lib/doseguard
COPY --from=build /opt/doseguard /opt/doseguard
ENV PATH=/opt/doseguard/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# The default configuration; compose.yaml (or `docker run -v`) mounts the site's own over it.
COPY deploy/serve.yaml /etc/doseguard/serve.yaml
# The SQLite feedback database of deploy/serve.yaml, when no --db is given: keep it on a volume.
VOLUME /var/lib/doseguard
WORKDIR /var/lib/doseguard
USER doseguard
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["doseguard", "serve", "--host", "0.0.0.0", "--port", "8080", "--config", "/etc/doseguard/serve.yaml"]
