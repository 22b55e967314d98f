"""The emulator's own ESC/POS parser: bytes in (in any chunks), operations out.

Written from the command reference, independently of the driver's encoder, so that a wrong byte on either side
shows up as a failed round trip. It is incremental (a command split across TCP reads waits for its tail), decodes
text itself (GB18030 inside ``FS &`` … ``FS .``, a single-byte code page outside) and raises only
:class:`EscPosParseError`. In lenient mode (the emulator's) an unknown command becomes an ``unknown`` operation and
parsing goes on, as a real printer ignores what it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
_CODE_PAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 17: "cp866", 19: "cp858"}


class EscPosParseError(ValueError):
    """Bytes that are not valid ESC/POS for this printer."""


class _Incomplete(Exception):
    """The buffer ends inside a command: wait for more bytes."""


@dataclass(frozen=True)
class Op:
    """One parsed operation. ``name`` is e.g. "text", "lf", "init", "size", "qr_store"; ``args`` its numbers (for
    "text": 1 when decoded in Chinese mode); ``text`` decoded characters; ``data`` raw payload (QR data, raster)."""

    name: str
    args: tuple[int, ...] = ()
    text: str = ""
    data: bytes = b""


# ESC x / GS x / FS x with a fixed number of argument bytes: name, count.
_ESC_FIXED: dict[int, tuple[str, int]] = {
    0x40: ("init", 0), 0x21: ("esc_mode", 1), 0x45: ("bold", 1), 0x47: ("double_strike", 1),
    0x2D: ("underline", 1), 0x61: ("align", 1), 0x64: ("feed_lines", 1), 0x4A: ("feed_dots", 1),
    0x32: ("line_spacing_default", 0), 0x33: ("line_spacing", 1), 0x74: ("code_page", 1), 0x4D: ("font", 1),
    0x52: ("charset", 1), 0x56: ("rotate", 1), 0x7B: ("upside_down", 1), 0x24: ("abs_position", 2),
    0x5C: ("rel_position", 2), 0x70: ("drawer_pulse", 3), 0x3D: ("peripheral", 1), 0x20: ("char_spacing", 1),
    0x65: ("reverse_feed", 1), 0x69: ("cut", 0), 0x6D: ("cut", 0), 0x63: ("panel", 2), 0x44: ("tabs_skip", 0),
}
_GS_FIXED: dict[int, tuple[str, int]] = {
    0x21: ("size", 1), 0x42: ("reverse", 1), 0x48: ("hri_position", 1), 0x68: ("barcode_height", 1),
    0x77: ("barcode_width", 1), 0x66: ("hri_font", 1), 0x4C: ("left_margin", 2), 0x57: ("print_width", 2),
    0x61: ("asb", 1), 0x72: ("transmit_status", 1), 0x62: ("smoothing", 1), 0x50: ("motion_units", 2),
    0x49: ("printer_id", 1), 0x2F: ("print_downloaded_image", 1), 0x3A: ("macro", 0), 0x5E: ("macro_run", 3),
}
_FS_FIXED: dict[int, tuple[str, int]] = {
    0x26: ("chinese_on", 0), 0x2E: ("chinese_off", 0), 0x21: ("chinese_mode", 1), 0x2D: ("chinese_underline", 1),
    0x43: ("chinese_code_system", 1), 0x53: ("chinese_spacing", 2), 0x57: ("chinese_quadruple", 1),
    0x70: ("nv_image_print", 2),
}
_CUT_NO_ARG, _CUT_WITH_FEED = (0, 1, 48, 49), (65, 66, 97, 98, 103, 104)


class EscPosParser:
    def __init__(self, strict: bool = True) -> None:
        self.strict = strict
        self.chinese = False
        self.code_page = "cp437"
        self._buf = bytearray()
        self.errors: list[str] = []

    def feed(self, data: bytes) -> list[Op]:
        """Parse what ``data`` completes; keep an unfinished command for the next call."""
        self._buf += data
        ops: list[Op] = []
        pos = 0
        while pos < len(self._buf):
            try:
                op, pos = self._one(pos)
            except _Incomplete:
                break
            if op is not None:
                ops.append(op)
        del self._buf[:pos]
        return ops

    def finish(self) -> None:
        """The stream ended: a command cut short is an error."""
        if self._buf:
            left, self._buf = bytes(self._buf), bytearray()
            raise EscPosParseError(f"stream ends inside a command: {left[:16].hex(' ')}")

    @property
    def pending(self) -> int:
        return len(self._buf)

    # -- internals ----------------------------------------------------------------------------------------------------
    def _need(self, pos: int, count: int) -> bytes:
        if pos + count > len(self._buf):
            raise _Incomplete
        return bytes(self._buf[pos:pos + count])

    def _bad(self, pos: int, end: int, why: str) -> tuple[Op, int]:
        if self.strict:
            raise EscPosParseError(why)
        self.errors.append(why)
        return Op("unknown", data=bytes(self._buf[pos:end])), end

    def _one(self, pos: int) -> tuple[Op | None, int]:
        b = self._buf[pos]
        if b == 0x0A:
            return Op("lf"), pos + 1
        if b == 0x0D:
            return None, pos + 1  # CR: these printers feed on LF only
        if b == 0x09:
            return Op("tab"), pos + 1
        if b == 0x0C:
            return Op("form_feed"), pos + 1
        if b == ESC:
            return self._prefixed(pos, _ESC_FIXED, "ESC")
        if b == GS:
            return self._prefixed(pos, _GS_FIXED, "GS")
        if b == FS:
            return self._prefixed(pos, _FS_FIXED, "FS")
        if b == DLE:
            return self._dle(pos)
        if b < 0x20 or b == 0x7F:
            return None, pos + 1  # other controls are ignored by the mechanism
        return self._text(pos)

    def _text(self, pos: int) -> tuple[Op, int]:
        end = pos
        chars: list[str] = []
        while end < len(self._buf):
            b = self._buf[end]
            if b < 0x20 or b == 0x7F:
                break
            if b < 0x80:
                chars.append(chr(b))
                end += 1
            elif not self.chinese:
                chars.append(bytes([b]).decode(self.code_page, errors="replace"))
                end += 1
            else:
                try:
                    char, size = self._gb18030(end)
                except _Incomplete:
                    if chars:
                        break  # emit what is complete, the tail waits
                    raise
                if char is None:
                    if chars:
                        break
                    return self._bad(pos, pos + 1, f"invalid GB18030 lead 0x{b:02x}")
                chars.append(char)
                end += size
        return Op("text", (int(self.chinese),), text="".join(chars)), end

    def _gb18030(self, pos: int) -> tuple[str | None, int]:
        lead = self._buf[pos]
        if not 0x81 <= lead <= 0xFE:
            return None, 1
        second = self._need(pos + 1, 1)[0]
        if 0x40 <= second <= 0xFE and second != 0x7F:
            raw, size = bytes([lead, second]), 2
        elif 0x30 <= second <= 0x39:
            raw = self._need(pos, 4)
            if not (0x81 <= raw[2] <= 0xFE and 0x30 <= raw[3] <= 0x39):
                return None, 1
            size = 4
        else:
            return None, 1
        try:
            return raw.decode("gb18030"), size
        except UnicodeDecodeError:
            return None, 1

    def _prefixed(self, pos: int, table: dict[int, tuple[str, int]], prefix: str) -> tuple[Op | None, int]:
        cmd = self._need(pos + 1, 1)[0]
        if prefix == "ESC" and cmd == 0x2A:
            return self._esc_star(pos)
        if prefix == "GS":
            special = {0x56: self._gs_cut, 0x76: self._gs_raster, 0x28: self._gs_paren, 0x6B: self._gs_barcode,
                       0x2A: self._gs_define_image}.get(cmd)
            if special is not None:
                return special(pos)
        if prefix == "FS" and cmd == 0x32:
            head = self._need(pos + 2, 2)
            return Op("chinese_user_char", tuple(head), data=self._need(pos + 4, 72)), pos + 4 + 72
        if cmd not in table:
            return self._bad(pos, pos + 2, f"unknown command {prefix} 0x{cmd:02x}")
        name, count = table[cmd]
        args = tuple(self._need(pos + 2, count))
        end = pos + 2 + count
        if name == "chinese_on":
            self.chinese = True
        elif name == "chinese_off":
            self.chinese = False
        elif name == "init":
            self.chinese, self.code_page = False, "cp437"
        elif name == "code_page":
            self.code_page = _CODE_PAGES.get(args[0], "cp437")
        elif name == "size" and args[0] & 0x88:
            return self._bad(pos, end, f"GS ! 0x{args[0]:02x}: magnification beyond 8")
        elif name == "align" and args[0] not in (0, 1, 2, 48, 49, 50):
            return self._bad(pos, end, f"ESC a {args[0]}: not an alignment")
        return Op(name, args), end

    def _esc_star(self, pos: int) -> tuple[Op, int]:
        m, nl, nh = self._need(pos + 2, 3)
        if m not in (0, 1, 32, 33):
            return self._bad(pos, pos + 5, f"ESC * mode {m}")
        size = (nl + 256 * nh) * (3 if m >= 32 else 1)
        data = self._need(pos + 5, size)
        return Op("column_image", (m, nl + 256 * nh), data=data), pos + 5 + size

    def _gs_cut(self, pos: int) -> tuple[Op, int]:
        m = self._need(pos + 2, 1)[0]
        if m in _CUT_NO_ARG:
            return Op("cut", (m,)), pos + 3
        if m in _CUT_WITH_FEED:
            return Op("cut", (m, self._need(pos + 3, 1)[0])), pos + 4
        return self._bad(pos, pos + 3, f"GS V {m}: not a cut mode")

    def _gs_raster(self, pos: int) -> tuple[Op, int]:
        head = self._need(pos + 2, 6)
        if head[0] != 0x30 or head[1] not in (0, 1, 2, 3, 48, 49, 50, 51):
            return self._bad(pos, pos + 4, f"GS v {head[:2].hex(' ')}: not a raster command")
        width_bytes, height = head[2] + 256 * head[3], head[4] + 256 * head[5]
        data = self._need(pos + 8, width_bytes * height)
        return Op("raster", (head[1] & 3, width_bytes, height), data=data), pos + 8 + width_bytes * height

    def _gs_define_image(self, pos: int) -> tuple[Op, int]:
        x, y = self._need(pos + 2, 2)
        size = x * y * 8
        return Op("define_image", (x, y), data=self._need(pos + 4, size)), pos + 4 + size

    def _gs_barcode(self, pos: int) -> tuple[Op, int]:
        m = self._need(pos + 2, 1)[0]
        if m <= 6:
            end = pos + 3
            while self._need(end, 1)[0] != 0:
                end += 1
            return Op("barcode", (m,), data=bytes(self._buf[pos + 3:end])), end + 1
        if 65 <= m <= 79:
            n = self._need(pos + 3, 1)[0]
            return Op("barcode", (m,), data=self._need(pos + 4, n)), pos + 4 + n
        return self._bad(pos, pos + 3, f"GS k {m}: not a barcode system")

    def _gs_paren(self, pos: int) -> tuple[Op, int]:
        fn, pl, ph = self._need(pos + 2, 3)
        size = pl + 256 * ph
        body = self._need(pos + 5, size)
        end = pos + 5 + size
        if fn != 0x6B:  # GS ( A/E/L/… : length-prefixed, skipped whole
            return Op("gs_paren", (fn,), data=body), end
        if size < 2 or body[0] != 0x31:
            return self._bad(pos, end, f"GS ( k: symbol 0x{body[:1].hex() or '??'} is not QR (0x31)")
        qr_fn, rest = body[1], body[2:]
        if qr_fn == 0x41 and len(rest) == 2:
            return Op("qr_model", (rest[0] - 0x30,)), end
        if qr_fn == 0x43 and len(rest) == 1 and 1 <= rest[0] <= 16:
            return Op("qr_module", (rest[0],)), end
        if qr_fn == 0x45 and len(rest) == 1 and 0x30 <= rest[0] <= 0x33:
            return Op("qr_ec", (rest[0] - 0x30,)), end
        if qr_fn == 0x50 and rest[:1] == b"0":
            return Op("qr_store", data=rest[1:]), end
        if qr_fn == 0x51 and rest == b"0":
            return Op("qr_print"), end
        if qr_fn == 0x52 and rest == b"0":
            return Op("qr_size_info"), end
        return self._bad(pos, end, f"GS ( k: bad QR function {body[:4].hex(' ')}")

    def _dle(self, pos: int) -> tuple[Op | None, int]:
        cmd = self._need(pos + 1, 1)[0]
        if cmd == 0x04:
            n = self._need(pos + 2, 1)[0]
            if not 1 <= n <= 4:
                return self._bad(pos, pos + 3, f"DLE EOT {n}")
            return Op("status_request", (n,)), pos + 3
        if cmd == 0x05:
            return Op("realtime_request", (self._need(pos + 2, 1)[0],)), pos + 3
        if cmd == 0x14:
            fn = self._need(pos + 2, 1)[0]
            count = {1: 2, 2: 2, 7: 1, 8: 7}.get(fn)
            if count is None:
                return self._bad(pos, pos + 3, f"DLE DC4 {fn}")
            return Op("realtime_command", (fn, *self._need(pos + 3, count))), pos + 3 + count
        return None, pos + 1  # a lone DLE is an ignored control byte
