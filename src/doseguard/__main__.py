"""``python -m doseguard``: the ``doseguard`` command."""

from doseguard.cli.main import main

if __name__ == "__main__":
    main()
