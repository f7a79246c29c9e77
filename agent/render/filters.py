"""An ffmpeg filter chain over one span of raw frames, streamed through one process.

Frames go in as they arrive and come out in order (the chain keeps the frame count, which the
tool validator checks), so a section-long effect holds a pipe's worth of frames, not the span.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from fractions import Fraction

from agent.errors import RenderError
from agent.render.ffmpeg_graph import fps_arg

_END = object()


class FilterSpan:
    def __init__(self, chain: str, width: int, height: int, fps: Fraction, label: str):
        self.label = label
        self.frame_size = width * height * 3 // 2
        raw = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}"]
        self._proc = subprocess.Popen(
            ["ffmpeg", "-v", "error", "-nostdin", *raw, "-framerate", fps_arg(fps), "-i", "pipe:0",
             "-vf", f"{chain},format=yuv420p", "-fps_mode", "passthrough", *raw, "pipe:1"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._out: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.pushed = 0

    def _read(self) -> None:
        stdout = self._proc.stdout
        while True:
            chunk = stdout.read(self.frame_size)
            if len(chunk) < self.frame_size:
                break
            self._out.put(chunk)
        self._out.put(_END)

    def push(self, frame: bytes) -> list[bytes]:
        """Feed one frame; return the frames that are ready (possibly none yet)."""
        try:
            self._proc.stdin.write(frame)
        except BrokenPipeError as exc:
            raise self._failure() from exc
        self.pushed += 1
        ready = []
        while True:
            try:
                item = self._out.get_nowait()
            except queue.Empty:
                return ready
            if item is _END:
                raise self._failure()
            ready.append(item)

    def finish(self, delivered: int) -> list[bytes]:
        """Close the input and return the rest; `delivered` = frames already returned by push."""
        self._proc.stdin.close()
        rest = []
        while (item := self._out.get()) is not _END:
            rest.append(item)
        self._proc.wait()
        if delivered + len(rest) != self.pushed:
            raise self._failure(f"returned {delivered + len(rest)} of {self.pushed} frames")
        return rest

    def _failure(self, detail: str = "") -> RenderError:
        self._proc.kill()
        err = self._proc.stderr.read().decode(errors="replace").strip() if self._proc.stderr else ""
        return RenderError(f"{self.label}: the ffmpeg filter failed {detail}: {err[-300:]}".strip())

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
