"""An open-loop load driver over raw keep-alive HTTP/1.1 connections, for the service workload.

Why not httpx: on this 2-core machine the driver shares the cores with the server, and httpx's client
spent more CPU a request than the server under test. This driver writes one prepared request's bytes
and reads the answer with asyncio streams (Content-Length or chunked), nothing more.

Request *i* is due at ``start + i / rate`` whatever the answers before it did; its latency runs from
then to the end of its answer. It takes an idle connection, or opens one (up to ``connections``), or
waits for one to come back. A request sent on a connection that the server closed without answering
(a keep-alive connection it closed as the request was sent) is resent once on a new connection, and
counted as resent; if that fails too it has no answer. An idle connection the server has closed is
not used."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson

CONNECT_TIMEOUT = 10.0
ANSWER_TIMEOUT = 30.0


@dataclass(frozen=True)
class Reply:
    """One request: when it was due (seconds from the start), how long until its answer ended, the
    HTTP status (None: no answer at all), its cards (None: not a readable CDS Hooks response), how
    many of them say an order was not checked, and whether it had to be sent twice."""

    due: float
    latency: float
    status: int | None
    cards: int | None
    not_checked: int = 0
    resent: bool = False


class _Closed(Exception):
    """The server closed the connection before the answer ended."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str
    body: bytes

    def request(self) -> bytes:
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(self.body)}\r\n\r\n"
        )
        return head.encode("ascii") + self.body


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """Send ``request``; the answer's status, body and whether the connection may be kept."""
        self.writer.write(request)
        try:
            await self.writer.drain()
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            raise _Closed from error
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        try:
            if headers.get("transfer-encoding", "").lower() == "chunked":
                body = await self._chunked()
            else:
                body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            raise _Closed from error
        return status, body, headers.get("connection", "").lower() != "close"

    async def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


class Pool:
    """Keep-alive connections to one server, at most ``size`` at a time."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(size)

    async def take(self) -> _Connection:
        await self._slots.acquire()
        while self._idle:
            connection = self._idle.pop()
            if not connection.reader.at_eof():
                return connection
            connection.close()  # the server closed it while idle (its keep-alive timeout)
        try:
            return await self._open()
        except BaseException:
            self._slots.release()
            raise

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), CONNECT_TIMEOUT
        )
        return _Connection(reader, writer)

    async def reopen(self, old: _Connection) -> _Connection:
        """A new connection in the place (and slot) of ``old``, which is closed."""
        old.close()
        return await self._open()

    def give_back(self, connection: _Connection, keep: bool) -> None:
        if keep:
            self._idle.append(connection)
        else:
            connection.close()
        self._slots.release()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


def read_cards(status: int, body: bytes) -> tuple[int | None, int]:
    """The number of cards of a CDS Hooks answer (None: not one) and how many say "not checked"."""
    try:
        cards = orjson.loads(body).get("cards")
    except (orjson.JSONDecodeError, AttributeError):
        return None, 0
    if not isinstance(cards, list):
        return None, 0
    said = sum(1 for card in cards if "not checked" in str(card.get("summary", "")).lower())
    return len(cards), said


async def _one(pool: Pool, target: Target, request: bytes, due: float, start: float) -> Reply:
    resent = False
    try:
        connection = await pool.take()
    except (OSError, TimeoutError):
        return Reply(due, time.perf_counter() - start - due, None, None)
    keep = False
    try:
        try:
            status, body, keep = await asyncio.wait_for(connection.exchange(request), ANSWER_TIMEOUT)
        except _Closed:
            resent = True
            connection = await pool.reopen(connection)
            status, body, keep = await asyncio.wait_for(connection.exchange(request), ANSWER_TIMEOUT)
    except (_Closed, OSError, TimeoutError, ValueError, IndexError):
        return Reply(due, time.perf_counter() - start - due, None, None, resent=resent)
    finally:
        pool.give_back(connection, keep)
    latency = time.perf_counter() - start - due
    cards, said = read_cards(status, body)
    return Reply(due, latency, status, cards, said, resent)


async def drive(
    target: Target,
    rate: float,
    seconds: float,
    halfway: Callable[[], None] | None = None,
    connections: int = 256,
    pool: Pool | None = None,
) -> tuple[list[Reply], float]:
    """Send ``rate × seconds`` requests at their due times (``halfway`` is called once, when half are
    sent); the replies in sending order and the wall seconds from the start to the last answer.
    ``pool``: connections kept from an earlier run (an EHR keeps its connections open)."""
    own = pool is None
    used = Pool(target.host, target.port, connections) if pool is None else pool
    request = target.request()
    count = max(1, round(rate * seconds))
    start = time.perf_counter()
    tasks = []
    try:
        for number in range(count):
            due = number / rate
            delay = start + due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if number == count // 2 and halfway is not None:
                halfway()
            tasks.append(asyncio.create_task(_one(used, target, request, due, start)))
        replies = list(await asyncio.gather(*tasks))
    finally:
        if own:
            used.close()
    return replies, time.perf_counter() - start
