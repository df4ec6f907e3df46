"""QR codes drawn by reportlab (already there for the letters) as an SVG data URL: an ``<img>``
that needs no JavaScript."""

from __future__ import annotations

import base64
import json
from typing import Any

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing

SIZE = 240


def qr_payload(**fields: Any) -> str:
    """What the QR code carries: compact JSON, version 1 (docs/mobile.md)."""
    return json.dumps({"v": 1, **fields}, separators=(",", ":"), ensure_ascii=False)


def qr_data_url(text: str) -> str:
    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(SIZE, SIZE, transform=[SIZE / (x1 - x0), 0, 0, SIZE / (y1 - y0), 0, 0])
    drawing.add(widget)
    svg = renderSVG.drawToString(drawing)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
