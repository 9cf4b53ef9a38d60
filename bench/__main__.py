"""`python -m bench --cases N`: see bench/README.md."""

import sys

from bench.run import main

sys.exit(main())
