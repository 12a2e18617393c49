"""Content hashes (SHA-256) of source files, with a stat cache as git's index keeps one.

A build of one changed record in a corpus of 10,000 would otherwise read and hash every record
(about 0.9 s), and so would every ``calcikg query`` checking that the graph is current. A file
whose size, modification time and inode are those recorded is taken to hold the recorded content,
unless it was modified less than two seconds before the record was written (a change made in the
same instant could keep its time: such a file is hashed again).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

#: Files modified this close (ns) to the writing of the stat cache are hashed again.
RACY_NS = 2_000_000_000


def file_digests(files: Iterable[Path], cache_file: Path, *, update: bool = True) -> dict[str, str]:
    """``{path: sha256 hex}`` for ``files``; ``update``: record what was hashed in ``cache_file``.

    A file that cannot be read raises :class:`OSError` (its ``filename`` says which)."""
    try:
        known = json.loads(cache_file.read_text(encoding="utf-8"))
        written = cache_file.stat().st_mtime_ns
    except (OSError, ValueError):
        known, written = {}, 0
    out: dict[str, str] = {}
    seen: dict[str, list] = {}
    hashed = False
    for f in files:
        name = str(f)
        st = os.stat(f)
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        old = known.get(name)
        if old and old[:3] == stamp and st.st_mtime_ns < written - RACY_NS:
            out[name] = old[3]
        else:
            with open(f, "rb") as fh:
                out[name] = hashlib.sha256(fh.read()).hexdigest()
            hashed = True
        seen[name] = stamp + [out[name]]
    if update and (hashed or seen.keys() != known.keys()):
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(seen, sort_keys=True), encoding="utf-8")
            os.replace(tmp, cache_file)
        except OSError:  # best effort: the next run hashes the files again
            pass
    return out
