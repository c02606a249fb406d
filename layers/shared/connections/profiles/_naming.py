"""Character rules the profiles share."""

from __future__ import annotations

import re

# Control characters never; the named platforms also refuse markup openers and quote characters.
# ">" stays: it is the taxonomy path separator the default templates use.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MARKUP = re.compile(r"[\x00-\x1f\x7f<\"\\{}|^`]")
