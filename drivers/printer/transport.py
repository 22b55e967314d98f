"""Printer transports from a URI, over python-escpos' printer classes.

``tcp://host:9100``, ``serial:///dev/ttyUSB0?baudrate=9600``, ``usb://0416:5011``, ``file:///path/out.bin``.
python-escpos opens the connection and writes; reads need a per-call timeout it does not offer, so
:meth:`Transport.read` sets one on the underlying socket, serial port or USB endpoint. Every I/O failure becomes a
:class:`DeviceError` with ``DEVICE_NOT_READY`` (gone: reconnect) or ``TIMEOUT`` (stuck).
"""

from __future__ import annotations

import select
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from drivers.contract import Code, DeviceError


@dataclass(frozen=True)
class PrinterUri:
    scheme: str
    target: str  # host:port, device path, VID:PID or file path
    options: dict[str, str]

    def __str__(self) -> str:
        return f"{self.scheme}://{self.target}"


def parse_uri(uri: str) -> PrinterUri:
    parsed = urlparse(uri)
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    if parsed.scheme == "tcp":
        if not parsed.hostname:
            raise ValueError(f"{uri}: tcp:// needs a host")
        return PrinterUri("tcp", f"{parsed.hostname}:{parsed.port or 9100}", options)
    if parsed.scheme in ("serial", "file"):
        if not parsed.path:
            raise ValueError(f"{uri}: {parsed.scheme}:// needs a path")
        return PrinterUri(parsed.scheme, parsed.path, options)
    if parsed.scheme == "usb":
        vid, _, pid = parsed.netloc.partition(":")
        try:
            int(vid, 16), int(pid, 16)
        except ValueError:
            raise ValueError(f"{uri}: usb:// needs VID:PID in hex, e.g. usb://0416:5011") from None
        return PrinterUri("usb", f"{vid.lower()}:{pid.lower()}", options)
    raise ValueError(f"{uri}: unknown printer scheme (tcp, serial, usb, file)")


class Transport:
    """One connection to a printer: write bytes, read status replies with a timeout."""

    def __init__(self, uri: str | PrinterUri, write_timeout: float = 10.0) -> None:
        self.uri = uri if isinstance(uri, PrinterUri) else parse_uri(uri)
        self.write_timeout = write_timeout
        self._printer: Any = None  # python-escpos printer (untyped library)

    @property
    def can_read(self) -> bool:
        return self.uri.scheme != "file"

    def open(self) -> None:
        from escpos.exceptions import DeviceNotFoundError

        printer = self._make()
        try:
            printer.open()
        except DeviceNotFoundError as error:
            raise DeviceError(Code.DEVICE_NOT_READY, f"{self.uri}: {str(error).splitlines()[0]}") from None
        except Exception as error:  # pyusb/pyserial specifics: the device is not usable
            raise DeviceError(Code.DEVICE_NOT_READY, f"{self.uri}: {type(error).__name__}: {error}") from None
        if self.uri.scheme == "tcp":  # status queries are 3-byte writes: do not let Nagle hold them back
            printer.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._printer = printer

    def _make(self):
        from escpos import printer

        opts = self.uri.options
        if self.uri.scheme == "tcp":
            host, _, port = self.uri.target.rpartition(":")
            return printer.Network(host, int(port), timeout=float(opts.get("timeout", 3.0)))
        if self.uri.scheme == "serial":
            return printer.Serial(self.uri.target, baudrate=int(opts.get("baudrate", 9600)), timeout=0.2,
                                  dsrdtr=opts.get("dsrdtr", "0") == "1")
        if self.uri.scheme == "usb":
            vid, pid = (int(part, 16) for part in self.uri.target.split(":"))
            return printer.Usb(vid, pid, timeout=int(self.write_timeout * 1000),
                               in_ep=int(opts.get("in_ep", "0x82"), 0), out_ep=int(opts.get("out_ep", "0x01"), 0))
        return printer.File(self.uri.target)

    def close(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            try:
                printer.close()
            except Exception:
                pass  # closing a connection that is already gone

    def _device(self):
        if self._printer is None or not self._printer._device:
            raise DeviceError(Code.DEVICE_NOT_READY, f"{self.uri}: not connected")
        return self._printer.device

    def write(self, data: bytes, timeout: float | None = None) -> None:
        device = self._device()
        limit = self.write_timeout if timeout is None else min(timeout, self.write_timeout)
        try:
            if self.uri.scheme == "tcp":
                device.settimeout(max(limit, 0.001))
                device.sendall(data)
            elif self.uri.scheme == "serial":
                device.write_timeout = limit
                device.write(data)
            else:
                self._printer._raw(data)
        except TimeoutError:
            raise DeviceError(Code.TIMEOUT, f"{self.uri}: write timed out") from None
        except Exception as error:
            if type(error).__name__ == "SerialTimeoutException":
                raise DeviceError(Code.TIMEOUT, f"{self.uri}: write timed out") from None
            raise DeviceError(Code.DEVICE_NOT_READY, f"{self.uri}: write failed: {type(error).__name__}") from None

    def read(self, timeout: float) -> bytes:
        """Up to 16 bytes, waiting at most ``timeout`` seconds; b"" when nothing came."""
        if not self.can_read:
            return b""
        device = self._device()
        try:
            if self.uri.scheme == "tcp":
                ready, _, _ = select.select([device], [], [], max(timeout, 0))
                if not ready:
                    return b""
                data = device.recv(16)
                if not data:
                    raise DeviceError(Code.DEVICE_NOT_READY, f"{self.uri}: connection closed by the printer")
                return data
            if self.uri.scheme == "serial":  # read(16) would wait out the timeout for 16 bytes: take what came
                device.timeout = timeout
                first = device.read(1)
                return first + device.read(min(device.in_waiting, 15)) if first else b""
            return bytes(device.read(self._printer.in_ep, 16, max(1, int(timeout * 1000))))
        except DeviceError:
            raise
        except Exception as error:
            if "timeout" in type(error).__name__.lower() or "timed out" in str(error).lower():
                return b""
            raise DeviceError(Code.DEVICE_NOT_READY, f"{self.uri}: read failed: {type(error).__name__}") from None

    def drain(self) -> None:
        """Discard replies that arrived late, so the next one read answers the next query."""
        while self.read(0):
            pass
