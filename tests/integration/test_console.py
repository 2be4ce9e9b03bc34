"""The console: `zvon -rx`, `zvon -r` (pipe and terminal), `zvon -c`, the daemon mode, and
the console socket's protocol spoken directly (see docs/CONSOLE.md)."""

import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import time

from zvon_harness import Zvon, check, run_tests, set_ini_keys, read_text, write_text

# ----------------------------------------------------------------------------------------
# The protocol, from Python


class ConsoleSocket:
    """A raw client of the console socket: frames are (type, payload)."""

    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = b""
        kind, payload = self.frame()
        check(kind == "H", "the first frame is the hello, not %r" % kind)
        self.greeting = payload.decode()

    def close(self):
        self.sock.close()

    def send(self, kind, payload=b""):
        if isinstance(payload, str):
            payload = payload.encode()
        self.sock.sendall(struct.pack(">IB", len(payload), ord(kind)) + payload)

    def frame(self, timeout=5.0):
        """The next frame, or None when the server closed the connection."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buffer) >= 5:
                (length,) = struct.unpack(">I", self.buffer[:4])
                if len(self.buffer) >= 5 + length:
                    kind = chr(self.buffer[4])
                    payload = self.buffer[5:5 + length]
                    self.buffer = self.buffer[5 + length:]
                    return kind, payload
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame within %.1f s" % timeout)
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buffer += data

    def run(self, line, timeout=5.0):
        """(status, output, log lines seen meanwhile); `timeout` bounds the wait for each frame."""
        self.send("R", line)
        out, logs = b"", []
        while True:
            f = self.frame(timeout)
            check(f is not None, "the connection closed during %r" % line)
            kind, payload = f
            if kind == "O":
                out += payload
            elif kind == "G":
                logs.append(payload.decode())
            elif kind == "E":
                return int(payload), out.decode(), logs
            else:
                raise AssertionError("unexpected frame %r during a command" % kind)

    def complete(self, line):
        self.send("C", line)
        while True:
            kind, payload = self.frame()
            if kind == "M":
                return payload.decode().split("\n") if payload else []
            check(kind == "G", "unexpected frame %r for a completion" % kind)

    def wait_log(self, pattern, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                f = self.frame(timeout=max(0.05, deadline - time.monotonic()))
            except (TimeoutError, socket.timeout):
                return None
            if f is None:
                return None
            if f[0] == "G" and re.search(pattern, f[1].decode()):
                return f[1].decode()
        return None


# The console needs no particular dialplan; this one keeps the tests independent of the demo's.
DIALPLAN = {"extensions.conf": "[internal]\nexten => 600,1,Answer()\n same => n,Echo()\n"}


def socket_path(z):
    return os.path.join(z.dir, "run", "zvon.ctl")


def zvon(z, *args, timeout=30, input=None):
    r = subprocess.run([z.binary, "-C", z.etc_dir] + list(args), input=input,
                       stdin=None if input is not None else subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


# ----------------------------------------------------------------------------------------
# A terminal for `zvon -r` and `zvon -c`


class Terminal:
    def __init__(self, argv, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(argv[0], argv, env or os.environ)
            finally:
                os._exit(127)
        self.seen = b""

    def expect(self, pattern, timeout=10.0):
        """Reads until the regex matches what arrived since the last match; returns that text."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern.encode(), self.seen)
            if m:
                text = self.seen[:m.end()].decode("utf-8", "replace")
                self.seen = self.seen[m.end():]
                return text
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("the terminal did not show %r within %.0f s; it shows:\n%r"
                                     % (pattern, timeout, self.seen[-2000:]))
            r, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if r:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    raise AssertionError("the terminal closed before %r appeared; it showed:\n%r"
                                         % (pattern, self.seen[-2000:]))
                self.seen += data

    def type(self, text):
        os.write(self.fd, text.encode())

    def wait_exit(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Keep the pty drained so the child never blocks writing to it.
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if r:
                try:
                    self.seen += os.read(self.fd, 4096)
                except OSError:
                    pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        self.kill()
        raise AssertionError("the process on the terminal did not exit; it showed:\n%r"
                             % self.seen[-2000:])

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def terminal_env(z):
    env = dict(os.environ)
    env["HOME"] = z.dir  # the history file lands in the test's directory
    env["TERM"] = "xterm"
    return env


# ----------------------------------------------------------------------------------------
# Tests against one running daemon


def test_rx_status(z):
    status, out = z.rx("core show version")
    check(status == 0 and re.search(r"zvon \d+\.\d+", out), "core show version: %d %r" % (status, out))
    status, out = z.rx("frobnicate the widgets")
    check(status == 1, "an unknown command exits 1, not %d" % status)
    check("help" in out, "an unknown command hints at help: %r" % out)
    status, out = z.rx("module load")
    check(status == 1 and "Usage" in out, "a command without its argument: %d %r" % (status, out))


def test_help_lists_commands(z):
    status, out = z.rx("help")
    check(status == 0, "help exits 0")
    for cmd in ("core show channels", "core show version", "module show", "module load",
                "module unload", "module reload", "logger set level", "core stop now", "help"):
        check(cmd in out, "help lists %r:\n%s" % (cmd, out))
    status, out = z.rx("help module")
    check(status == 0 and "module unload" in out and "core show channels" not in out,
          "help module lists only the module commands:\n%s" % out)


def test_module_show_and_unload_load(z):
    status, out = z.rx("module show")
    check(status == 0, "module show exits 0")
    check(re.search(r"^app_echo\s+\S.*\s0$", out, re.M), "module show lists app_echo, use count 0:\n%s" % out)
    loaded = int(re.search(r"(\d+) modules? loaded", out).group(1))
    check(loaded >= 2, "module show counts the modules: %s" % out)
    status, out = z.rx("module show like ECHO")
    check(status == 0 and "app_echo" in out and "app_dial" not in out and "1 module loaded" in out,
          "module show like filters:\n%s" % out)

    status, out = z.rx("module unload app_echo")
    check(status == 0, "module unload app_echo: %d %r" % (status, out))
    status, out = z.rx("module show")
    check("app_echo" not in out, "app_echo is gone after the unload:\n%s" % out)
    status, out = z.rx("core show applications")
    check(not re.search(r"\bEcho:", out), "the Echo application left with its module:\n%s" % out)
    status, out = z.rx("module unload app_echo")
    check(status == 1 and "not loaded" in out, "unloading it twice is refused: %d %r" % (status, out))

    status, out = z.rx("module load app_echo")
    check(status == 0, "module load app_echo: %d %r" % (status, out))
    status, out = z.rx("module show")
    check(re.search(r"^app_echo\s", out, re.M), "app_echo is back:\n%s" % out)
    status, out = z.rx("core show applications")
    check(re.search(r"\bEcho:", out), "the Echo application is back:\n%s" % out)
    status, out = z.rx("module load no_such_module")
    check(status == 1 and "no_such_module" in out, "loading a missing module fails: %r" % out)
    status, out = z.rx("module reload app_echo")
    check(status == 0 and "Reloaded app_echo" in out, "module reload: %d %r" % (status, out))


def test_core_show_commands(z):
    status, out = z.rx("core show channels")
    check(status == 0 and re.search(r"^Channel\s+State\s+Location\s+Application\s+Age", out, re.M)
          and "0 active channels" in out, "core show channels:\n%s" % out)
    status, out = z.rx("core show channel SIP/nobody-00000001")
    check(status == 1 and "No channel" in out, "an unknown channel: %d %r" % (status, out))
    status, out = z.rx("core show uptime")
    check(status == 0 and "System uptime:" in out, "core show uptime: %r" % out)
    status, out = z.rx("core show applications")
    check(status == 0 and re.search(r"\bAnswer: ", out) and re.search(r"\d+ applications", out),
          "core show applications:\n%s" % out)
    status, out = z.rx("logger set level loud")
    check(status == 1 and "Usage" in out, "a bad log level is refused: %r" % out)
    status, out = z.rx("logger set level notice")
    check(status == 0, "logger set level notice: %r" % out)


def test_protocol_run_and_complete(z):
    c = ConsoleSocket(socket_path(z))
    try:
        check(c.greeting.startswith("zvon "), "hello: %r" % c.greeting)
        status, out, _ = c.run("core show version")
        check(status == 0 and "module ABI" in out, "run over the protocol: %d %r" % (status, out))
        status, out, _ = c.run("no such command")
        check(status == 1, "unknown command over the protocol: %d" % status)

        check(c.complete("mod") == ["module"], "completes the first word")
        check(c.complete("module unl") == ["unload"], "completes a command word")
        check(set(c.complete("module ")) >= {"load", "unload", "show", "reload"},
              "lists the next words: %r" % c.complete("module "))
        check("version" in c.complete("core show v"), "core show v -> version")
        matches = c.complete("module unload app_e")
        check(matches == ["app_echo"], "module names of loaded modules: %r" % matches)
        status, _, _ = c.run("module unload app_echo")
        check(status == 0, "unload for the completion test")
        check(c.complete("module unload app_e") == [], "an unloaded module is no unload candidate")
        check("app_echo" in c.complete("module load app_"), "but it is a load candidate")
        status, _, _ = c.run("module load app_echo")
        check(status == 0, "load back")
        check(c.complete("logger set level de") == ["debug"], "log levels complete")
        check(c.complete("xyzzy ") == [], "nothing completes after an unknown word")
        # Several requests in one write are answered in order.
        c.sock.sendall(struct.pack(">IB", 3, ord("C")) + b"mod" +
                       struct.pack(">IB", 17, ord("R")) + b"core show version")
        kind, payload = c.frame()
        check(kind == "M" and payload == b"module", "pipelined completion first: %r" % payload)
        kind, payload = c.frame()
        check(kind == "O" and b"zvon" in payload, "then the command's output")
        kind, payload = c.frame()
        check(kind == "E" and payload == b"0", "then its end")
    finally:
        c.close()


def test_protocol_log_lines(z):
    watcher = ConsoleSocket(socket_path(z))
    other = ConsoleSocket(socket_path(z))
    try:
        watcher.send("L", "1")
        status, _, _ = other.run("logger set level verbose")
        check(status == 0, "logger set level verbose")
        status, _, logs = other.run("module unload app_echo")
        check(status == 0, "unload")
        check(not logs, "a console that did not subscribe gets no log lines: %r" % logs)
        line = watcher.wait_log(r"app_echo")
        check(line is not None, "the subscribed console received the unload's log line")
        check(re.match(r"^[0-4] \[", line), "a log frame is 'LEVEL [time] ...': %r" % line)
        status, _, _ = other.run("module load app_echo")
        check(status == 0, "load back")
        # The console subscribes to the event bus: events show as verbose lines.
        check(watcher.wait_log(r"EVENT ModuleLoad: module=app_echo") is not None,
              "the module's load event reached the console")
        watcher.send("L", "0")
        # Once the server has processed the unsubscribe (its answer to a later request
        # arrives after it), no more log lines come.
        watcher.run("core show version")
        other.run("module unload app_echo")
        other.run("module load app_echo")
        check(watcher.wait_log(r"app_echo", timeout=1.0) is None, "unsubscribed: no log lines")
    finally:
        other.run("logger set level notice")
        watcher.close()
        other.close()


def test_protocol_garbage(z):
    path = socket_path(z)
    # Unknown frame type: that connection closes.
    c = ConsoleSocket(path)
    c.send("Z", "hello?")
    check(c.frame() is None, "an unknown frame type closes the connection")
    c.close()
    # A frame longer than the limit: closed.
    c = ConsoleSocket(path)
    c.sock.sendall(struct.pack(">IB", 50 * 1024 * 1024, ord("R")) + b"x" * 100)
    check(c.frame() is None, "an oversized frame closes the connection")
    c.close()
    # Random bytes.
    c = ConsoleSocket(path)
    c.sock.sendall(bytes(range(256)) * 8)
    check(c.frame() is None, "garbage closes the connection")
    c.close()
    # Half a frame, then gone; and a client that leaves with a command's answer unread.
    c = ConsoleSocket(path)
    c.sock.sendall(struct.pack(">IB", 100, ord("R")) + b"core")
    c.close()
    c = ConsoleSocket(path)
    c.send("R", "help")
    c.sock.close()
    # Many connections at once, each served.
    many = [ConsoleSocket(path) for _ in range(10)]
    for i, m in enumerate(many):
        status, out, _ = m.run("core show version")
        check(status == 0 and "zvon" in out, "connection %d of 10 is served" % i)
    for m in many:
        m.close()
    status, out = z.rx("core show version")
    check(status == 0, "the daemon serves on after garbage: %r" % out)


def test_remote_console_piped(z):
    status, out, err = zvon(z, "-r", input=b"core show version\n\nmodule show like echo\nquit\ncore show uptime\n")
    check(status == 0, "zvon -r with a pipe exits 0: %d %r" % (status, err))
    check("module ABI" in out and "app_echo" in out, "both commands ran:\n%s" % out)
    check("System uptime" not in out, "nothing runs after quit:\n%s" % out)


def test_remote_console_terminal(z):
    t = Terminal([z.binary, "-C", z.etc_dir, "-r"], terminal_env(z))
    try:
        t.expect(r"Connected to zvon")
        t.expect(r"CLI> ")
        t.type("core show version\r")
        t.expect(r"module ABI[^\n]*\n")
        t.expect(r"CLI> ")
        # Tab completion asks the daemon: "core show chan" + TAB -> "core show channel",
        # the common prefix of "channel" and "channels".
        t.type("core show chan\t")
        t.expect(r"nel")
        t.type("s\r")
        t.expect(r"0 active channels")
        t.expect(r"CLI> ")
        t.type("module unload app_ec\t")
        t.expect(r"ho ")
        t.type("\r")
        t.expect(r"Unloaded app_echo")
        # Log lines stream in while the prompt waits: loading from another console logs.
        z.rx("logger set level verbose")
        status, _ = z.rx("module load app_echo")
        check(status == 0, "module load from another console")
        t.expect(r"app_echo")
        z.rx("logger set level notice")
        t.type("no such thing\r")
        t.expect(r"No such command")
        t.type("quit\r")
        check(t.wait_exit() == 0, "quit detaches with status 0")
    finally:
        t.kill()
    history = read_text(os.path.join(z.dir, ".zvon_history"))
    check("core\\040show\\040version" in history or "core show version" in history,
          "the history file keeps the commands:\n%s" % history)


# ----------------------------------------------------------------------------------------
# Tests that start their own zvon


def kill_from_pid_file(z):
    try:
        pid = int(read_text(os.path.join(z.dir, "run", "zvon.pid")).strip())
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_reload_leaves_the_console_free():
    """`dialplan reload` compiles on a thread of its own: a large dialplan is being compiled
    while another console's command is answered, and one console's replies still come in the
    order of its commands."""
    lines = ["[internal]", "exten => 600,1,Answer()", " same => n,Echo()", "[big]"]
    for n in range(40000):
        lines.append("exten => %d,1,NoOp(extension %d)" % (100000 + n, n))
        lines.append(" same => n,Hangup()")
    with Zvon(dialplan={"extensions.conf": "\n".join(lines) + "\n"}) as z:
        a, b = ConsoleSocket(socket_path(z)), ConsoleSocket(socket_path(z))
        try:
            a.send("R", "dialplan reload")
            a.send("R", "core show version")  # must be answered after the reload, on this console
            status, out, _ = b.run("core show uptime")
            check(status == 0, "core show uptime during the reload: %r" % out)
            check(not a.buffer, "the reload replied before the other console's command")
            a.sock.settimeout(0.0)
            try:
                early = a.sock.recv(65536)
            except BlockingIOError:
                early = b""
            check(not early, "the reload had replied already; make the dialplan larger: %r" % early[:200])
            replies = []
            for _ in range(2):
                out = b""
                while True:
                    kind, payload = a.frame(timeout=120)
                    if kind == "O":
                        out += payload
                    elif kind == "E":
                        replies.append((int(payload), out.decode()))
                        break
            check(replies[0][0] == 0 and "Dialplan reloaded: 2 contexts, 40001 extensions" in replies[0][1],
                  "the reload's reply first: %r" % (replies,))
            check(replies[1][0] == 0 and "zvon" in replies[1][1], "then core show version: %r" % (replies,))
            # Seconds under ASan on a busy machine, as the first one.
            status, out, _ = b.run("dialplan reload", timeout=120)
            check(status == 0, "a second reload: %r" % out)
        finally:
            a.close()
            b.close()


def test_daemon_mode():
    with Zvon(start=False, dialplan=DIALPLAN) as z:
        try:
            started = time.monotonic()
            status, out, err = zvon(z, timeout=60)
            check(status == 0, "zvon (daemon) exits 0 once started: %d %r %r" % (status, out, err))
            # The parent returned only once the socket answers: no waiting here.
            status, out = z.rx("core show version")
            check(status == 0, "the daemon answers right away: %r" % out)
            pid = int(read_text(os.path.join(z.dir, "run", "zvon.pid")).strip())
            check(pid_alive(pid), "the pid file names the live daemon")
            check(oct(os.stat(socket_path(z)).st_mode & 0o777) == oct(0o660), "the socket is 0660")
            log = os.path.join(z.dir, "var", "log", "zvon.log")
            check(z.wait_for(lambda: "zvon ready" in (read_text(log) if os.path.exists(log) else "")),
                  "the daemon logs to <data_dir>/log/zvon.log")

            status, out, err = zvon(z, timeout=60)
            check(status == 1 and "already running" in err,
                  "a second daemon on the same socket is refused: %d %r" % (status, err))
            status, out, err = zvon(z, "-f", timeout=60)
            check(status == 1 and "already running" in err,
                  "so is a foreground one: %d %r" % (status, err))
            check(pid_alive(pid), "the first daemon lives on")

            status, out = z.rx("core stop now")
            check(status == 0 and "Stopping" in out, "core stop now: %d %r" % (status, out))
            check(z.wait_for(lambda: not pid_alive(pid), timeout=15), "the daemon stopped")
            check(not os.path.exists(socket_path(z)), "its socket is removed")
            check(not os.path.exists(os.path.join(z.dir, "run", "zvon.pid")), "its pid file is removed")
            status, out = z.rx("core show version")
            check(status == 1 and "no zvon daemon is running" in out,
                  "-rx without a daemon: %d %r" % (status, out))
            status, out, err = zvon(z, "-r", input=b"help\n")
            check(status == 1 and "no zvon daemon is running" in err, "-r without a daemon: %r" % err)
            check(time.monotonic() - started < 60, "bounded")
        finally:
            kill_from_pid_file(z)


def test_daemon_start_errors():
    bad_dialplan = "[internal]\nexten => 600,1,Answer(\nexten => ,,\n"
    with Zvon(start=False, dialplan={"extensions.conf": bad_dialplan}) as z:
        try:
            status, out, err = zvon(z, timeout=60)
            check(status == 1, "a daemon with a broken dialplan exits 1: %d %r" % (status, err))
            check("extensions.conf:" in err, "the error names file:line: %r" % err)
            check(not os.path.exists(socket_path(z)), "no socket is left behind")
        finally:
            kill_from_pid_file(z)
    with Zvon(start=False, dialplan=DIALPLAN) as z:
        conf = os.path.join(z.etc_dir, "zvon.conf")
        write_text(conf, set_ini_keys(read_text(conf), "general", {"workers": "lots"}))
        for args in ((), ("-f",)):
            status, out, err = zvon(z, *args, timeout=60)
            check(status == 1 and re.search(r"zvon\.conf:\d+", err),
                  "bad zvon.conf with %r: %d %r" % (args, status, err))


def test_stale_socket_is_replaced():
    with Zvon(start=False, dialplan=DIALPLAN) as z:
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(socket_path(z))
        stale.close()  # the file stays, nobody listens: what a killed daemon leaves
        z.start()
        status, out = z.rx("core show version")
        check(status == 0, "zvon replaced the stale socket: %r" % out)


def test_command_line():
    binary = Zvon().binary
    r = subprocess.run([binary, "--help"], capture_output=True, timeout=10)
    out = r.stdout.decode()
    check(r.returncode == 0, "--help exits 0")
    for opt in ("-f", "-c", "-r", "-rx", "-C", "-V"):
        check(opt in out, "--help lists %s:\n%s" % (opt, out))
    r = subprocess.run([binary, "-V"], capture_output=True, timeout=10)
    check(r.returncode == 0 and re.match(r"zvon \d", r.stdout.decode()), "-V: %r" % r.stdout)
    for bad in (["--bogus"], ["-q"], ["-C"], ["-r", "-f"], ["extra"]):
        r = subprocess.run([binary] + bad, capture_output=True, timeout=10)
        check(r.returncode == 2 and "Usage" in r.stderr.decode(),
              "%r: usage and exit 2, got %d %r" % (bad, r.returncode, r.stderr))


def test_foreground_console():
    with Zvon(start=False, dialplan=DIALPLAN) as z:
        t = Terminal([z.binary, "-C", z.etc_dir, "-c"], terminal_env(z))
        try:
            t.expect(r"CLI> ", timeout=30)
            t.type("core show version\r")
            t.expect(r"module ABI")
            status, out = z.rx("core show uptime")
            check(status == 0, "-c also serves the socket: %r" % out)
            t.type("\x04")  # Ctrl-D: leaving the console stops this zvon
            check(t.wait_exit(timeout=20) == 0, "zvon -c exits 0 after Ctrl-D")
            check(not os.path.exists(socket_path(z)), "its socket is gone")
        finally:
            t.kill()
        # Ctrl-C on the console is SIGINT for the daemon: a clean stop, status 0.
        t = Terminal([z.binary, "-C", z.etc_dir, "-c"], terminal_env(z))
        try:
            t.expect(r"CLI> ", timeout=30)
            t.type("core show chan")
            t.expect(r"chan")
            t.type("\x03")
            check(t.wait_exit(timeout=20) == 0, "zvon -c exits 0 after Ctrl-C")
            check(b"shutting down" in t.seen, "the shutdown's log lines show on the console")
            check(not os.path.exists(socket_path(z)), "its socket is gone")
        finally:
            t.kill()


if __name__ == "__main__":
    results = []
    with Zvon(dialplan=DIALPLAN) as z:
        try:
            run_tests([test_rx_status, test_help_lists_commands, test_module_show_and_unload_load,
                       test_core_show_commands, test_protocol_run_and_complete,
                       test_protocol_log_lines, test_protocol_garbage, test_remote_console_piped,
                       test_remote_console_terminal], z)
        except SystemExit as e:
            results.append(e.code)
    try:
        run_tests([test_command_line, test_daemon_mode, test_daemon_start_errors,
                   test_stale_socket_is_replaced, test_foreground_console,
                   test_reload_leaves_the_console_free])
    except SystemExit as e:
        results.append(e.code)
    sys.exit(0 if all(code == 0 for code in results) else 1)
