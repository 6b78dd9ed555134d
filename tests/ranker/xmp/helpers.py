"""What the XMP tests share: the hand-written fixtures and what they record, exiftool, a minimal packet."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from ranker.xmp import Decision

DATA = Path(__file__).resolve().parents[2] / "data" / "xmp"
EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(
    EXIFTOOL is None, reason="exiftool not on PATH: apt-get install -y libimage-exiftool-perl (CI installs it)"
)


# What each hand-written fixture records, in our vocabulary.
FIXTURES = {
    "lightroom.xmp": Decision(None, 4, "red"),
    "darktable.xmp": Decision(None, 1, "green"),  # from darktable:colorlabels: no xmp:Label there
    "digikam.xmp": Decision("pick", 3, "green"),
    "captureone.xmp": Decision(None, 2, "blue"),  # element form, several rdf:Description blocks
    "photomechanic.xmp": Decision("pick", 5, "red"),  # photomechanic:Tagged
}


def exiftool_json(path: Path, *tags: str) -> dict:
    args = [EXIFTOOL, "-j", "-n", "-G1", "-struct", *(tags or ("-all",)), str(path)]
    out = subprocess.run(args, capture_output=True, timeout=60, check=True, text=True)
    return json.loads(out.stdout)[0]


def make_xmp(body_attrs: str = "", body_elements: str = "") -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '    xmlns:digiKam="http://www.digikam.org/ns/1.0/"\n'
        '    xmlns:darktable="http://darktable.sf.net/"\n'
        '    xmlns:photomechanic="http://ns.camerabits.com/photomechanic/1.0/"\n'
        f"   {body_attrs}>\n{body_elements}"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
    ).encode()


def jpeg_with_xmp(path: Path, packet: bytes) -> None:
    Image.new("RGB", (16, 16), (200, 40, 40)).save(path, "JPEG")
    data = path.read_bytes()
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    path.write_bytes(data[:2] + segment + data[2:])


PACKET = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4" xmp:Label="Yellow"/>'
    b"</rdf:RDF></x:xmpmeta>" + b" " * 200 + b'<?xpacket end="w"?>'
)
