"""``python -m scratchnet`` is the same as the ``scratchnet`` command."""

import sys

from scratchnet.cli import main

sys.exit(main())
