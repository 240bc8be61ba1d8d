"""``python -m qpu_twin ...`` is ``qpu-twin ...``."""

import sys

from .cli import main

sys.exit(main())
