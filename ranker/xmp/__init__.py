"""Culling decisions in XMP: read every tool's convention, merge-write sidecars without losing foreign fields.

paths (where sidecars are), read (a bounded parse), embedded (XMP inside the photo, EXIF rating) and
write (merge-writing); this package's names are the API the rest of PhotoTriage uses.
"""

from __future__ import annotations

from ranker.decisions import Decision
from ranker.xmp.embedded import decision_inside, embedded_decision, exif_rating, read_decision, read_embedded_xmp
from ranker.xmp.paths import find_sidecar, find_sidecars, sidecar_path
from ranker.xmp.read import MAX_XMP_BYTES, RankInfo, XmpError, parse_xmp, read_xmp, read_xmp_bytes
from ranker.xmp.style import SIDECAR_STYLES, XmpStyle
from ranker.xmp.write import label_is_ours, merged_packet, write_sidecar

__all__ = [
    "MAX_XMP_BYTES",
    "SIDECAR_STYLES",
    "Decision",
    "RankInfo",
    "XmpError",
    "XmpStyle",
    "decision_inside",
    "embedded_decision",
    "exif_rating",
    "find_sidecar",
    "find_sidecars",
    "label_is_ours",
    "merged_packet",
    "parse_xmp",
    "read_decision",
    "read_embedded_xmp",
    "read_xmp",
    "read_xmp_bytes",
    "sidecar_path",
    "write_sidecar",
]
