"""Decoded frames of one clip item, read ahead in a background thread.

Each item is decoded once, from its first needed frame (including the handle a transition needs
before the cut) to its last, straight to the output size in yuv420p. A bounded queue keeps
memory flat while letting the decoder run ahead of the encoder.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Iterator

from agent.errors import RenderError

_END = object()


class FrameSource:
    """Runs one ffmpeg decoder and yields exactly the frames it was asked for."""

    def __init__(self, args: list[str], frame_size: int, frames: int, label: str, read_ahead: int = 12):
        self.args = args
        self.frame_size = frame_size
        self.frames = frames
        self.label = label
        self.delivered = 0
        self.short_by = 0  # frames the source could not provide (repeated last frame instead)
        self._queue: queue.Queue = queue.Queue(maxsize=read_ahead)
        self._stderr = b""
        self._proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self._thread = threading.Thread(target=self._pump, name=f"decode {label}", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        try:
            for _ in range(self.frames):
                buf = bytearray(self.frame_size)
                view = memoryview(buf)
                got = 0
                while got < self.frame_size:
                    n = stdout.readinto(view[got:])
                    if not n:
                        break
                    got += n
                if got < self.frame_size:
                    break
                self._queue.put(bytes(buf))
        finally:
            self._queue.put(_END)

    def __iter__(self) -> Iterator[bytes]:
        last = None
        while self.delivered < self.frames:
            frame = self._queue.get()
            if frame is _END:
                break
            last = frame
            self.delivered += 1
            yield frame
        if self.delivered < self.frames:
            self._finish()
            if last is None:
                reason = self._stderr.decode(errors="replace").strip().splitlines()
                raise RenderError(f"{self.label}: the decoder produced no frames"
                                  + (f" ({reason[-1]})" if reason else "")
                                  + "; check that the file is readable")
            self.short_by = self.frames - self.delivered
            while self.delivered < self.frames:
                self.delivered += 1
                yield last

    def take(self, count: int) -> list[bytes]:
        it = iter(self)
        return [next(it) for _ in range(count)]

    def _finish(self) -> None:
        try:
            _, self._stderr = self._proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.communicate()

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        # Drain so the pump thread can exit even if it is blocked on a full queue.
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._proc.wait()
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream:
                stream.close()
