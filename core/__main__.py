"""``python -m core`` runs the ``caixin`` command."""

import sys

from core.cli import main

sys.exit(main())
