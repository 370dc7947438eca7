"""``python -m core`` runs the ``caixin`` command."""

import sys

from core.cli import main

if __name__ == "__main__":  # not when a worker process imports it (spawn)
    sys.exit(main())
