#!/usr/bin/env python3
"""Drive kjit's REPL through a pseudo-terminal and print the transcript.

usage: repl_driver.py KJIT [ARG...] < SESSION

Starts KJIT [ARG...] on a fresh pseudo-terminal (so kjit sees a terminal and
starts its REPL) and sends the lines of SESSION one by one, each only once the
REPL shows its prompt ('kjit> ' or the continuation prompt '  ...> ').  A
SESSION line that is exactly '^D' sends Ctrl-D (end of input) instead of a
line.  A line '^C' sends Ctrl-C half a second after the previous line,
without waiting for a prompt (so it can interrupt a running item); '^C TEXT'
sends it once TEXT has appeared on the terminal after the previous line (an
item that prints TEXT before it loops is then surely running).  When SESSION is exhausted the driver waits for kjit to exit; it never
sends anything on its own.

The transcript (everything kjit wrote to the terminal, its stdout and stderr
together, with the terminal's echo of the typed lines) is printed with
terminal control sequences, '\\r' and other control bytes except '\\n' and
'\\t' removed.  The driver's exit status is kjit's; if kjit does not show
a prompt or exit within the time limit, the driver kills it, prints
'repl_driver: timeout' on stderr and exits with 124.
"""
import errno
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

TIMEOUT = 20.0  # seconds for each wait (generous: sanitizer builds are slow)
PROMPTS = ("kjit> ", "  ...> ")

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), two-byte escapes, then
# any control byte left but newline and tab.
CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]"
)


def clean(text):
    return CONTROL.sub("", text)


class Session:
    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: the terminal is now stdin, stdout, stderr
            os.environ["TERM"] = "vt100"  # a plain terminal every system knows
            os.environ.pop("EDITRC", None)
            os.environ["HOME"] = "/nonexistent"  # no ~/.editrc, no history file
            try:
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        # A fixed, wide window: libedit must not wrap our lines.
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.raw = b""       # everything read so far
        self.status = None   # kjit's exit status once it has exited

    def read_some(self, deadline):
        """Read what is available before deadline; False at end of output."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ready, _, _ = select.select([self.fd], [], [], left)
        if not ready:
            raise TimeoutError
        try:
            data = os.read(self.fd, 65536)
        except OSError as e:  # EIO: the child closed the terminal
            if e.errno != errno.EIO:
                raise
            data = b""
        self.raw += data
        return bool(data)

    def text(self):
        return clean(self.raw.decode("utf-8", "replace"))

    def wait_prompt(self, since):
        """Wait until the transcript, grown past since (a length of raw),
        ends with a prompt; False if kjit ended."""
        deadline = time.monotonic() + TIMEOUT
        while len(self.raw) <= since or not self.text().endswith(PROMPTS):
            if not self.read_some(deadline):
                return False
        # libedit writes the prompt, then switches the terminal to raw mode
        # once the prompt has drained (TCSADRAIN): a line sent before that
        # would be echoed twice, by the terminal and by libedit, and a ^D
        # would be taken by the terminal.  So wait for raw mode (an editing
        # line reader), but not for ever: a plain reader stays canonical.
        raw_by = time.monotonic() + 2.0
        while termios.tcgetattr(self.fd)[3] & termios.ICANON and time.monotonic() < raw_by:
            time.sleep(0.002)
        return True

    def finish(self):
        """Read to the end of output and reap kjit."""
        deadline = time.monotonic() + TIMEOUT
        while self.read_some(deadline):
            pass
        while True:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                raise TimeoutError
            time.sleep(0.01)
        self.status = os.waitstatus_to_exitcode(st)
        if self.status < 0:  # killed by a signal: report it as the shell does
            self.status = 128 - self.status


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    lines = sys.stdin.read().splitlines()
    s = Session(sys.argv[1:])
    try:
        sent = 0  # length of the output when the last line was sent
        for line in lines:
            if line == "^C" or line.startswith("^C "):
                if line == "^C":
                    time.sleep(0.5)
                    s.read_some(time.monotonic() + 0.01)
                else:
                    deadline = time.monotonic() + TIMEOUT
                    while line[3:] not in clean(s.raw[sent:].decode("utf-8", "replace")):
                        if not s.read_some(deadline) and time.monotonic() > deadline:
                            raise TimeoutError
                sent = len(s.raw)
                os.write(s.fd, b"\x03")
                continue
            if not s.wait_prompt(sent):
                break  # kjit ended early; the transcript shows why
            sent = len(s.raw)
            os.write(s.fd, b"\x04" if line == "^D" else line.encode() + b"\n")
        s.finish()
    except TimeoutError:
        os.kill(s.pid, signal.SIGKILL)
        os.waitpid(s.pid, 0)
        sys.stdout.write(s.text())
        sys.stdout.flush()
        print("repl_driver: timeout", file=sys.stderr)
        sys.exit(124)
    sys.stdout.write(s.text())
    sys.stdout.flush()
    sys.exit(s.status)


if __name__ == "__main__":
    main()
