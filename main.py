"""latentvj entry point: ``python main.py [command] ...`` (same as the ``latentvj`` script)."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
