"""Runs a real zvon on loopback for the integration tests. Standard library only.

    from zvon_harness import Zvon, run_tests

    def test_options(z):
        ...

    with Zvon() as z:                       # copies etc/ and dialplan/ into a temp dir
        status, out = z.rx("core show version")

Environment (set by ctest, see tests/CMakeLists.txt):
    ZVON_BUILD_DIR   the build tree: bin/zvon, modules/*.so, sounds/
    ZVON_SOURCE_DIR  the checkout: etc/, dialplan/
Each test script prints a closing line "N passed, M failed" and exits 0 only when all passed.
"""

import hashlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("ZVON_SOURCE_DIR", os.path.abspath(os.path.join(HERE, "..", "..")))
BUILD_DIR = os.environ.get("ZVON_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
SIPP_DIR = os.path.join(HERE, "sipp")

STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0


# ----------------------------------------------------------------------------------------
# Ports


def free_port(kind="both", host="127.0.0.1"):
    """A port that is free right now for UDP, TCP or both ("udp", "tcp", "both")."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((host, 0))
            port = u.getsockname()[1]
            if kind == "udp":
                return port
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind((host, port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port found on %s" % host)


def port_free(port, host="127.0.0.1"):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((host, port))
        return True
    except OSError:
        return False


def wait_port_taken(port, timeout=5.0, host="127.0.0.1"):
    """Waits (bounded) until something binds UDP `port` (a peer started in the background is
    ready to receive). Returns whether it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not port_free(port, host):
            return True
        time.sleep(0.02)
    return False


def free_port_range(size=200, host="127.0.0.1"):
    """(start, end) of an even-aligned UDP port range whose ports look free (checked sparsely)."""
    rng = random.Random(os.getpid() ^ int(time.time() * 1000))
    for _ in range(100):
        start = rng.randrange(20000, 60000 - size) & ~1
        if all(port_free(p, host) for p in range(start, start + size, 7)):
            return start, start + size - 1
    raise RuntimeError("no free port range found")


# ----------------------------------------------------------------------------------------
# INI rewriting (Asterisk style: [section], key = value, ; comments)


def set_ini_keys(text, section, values, drop=()):
    """Returns `text` with `values` (dict key -> value) set in [section]: existing keys are
    replaced in place, missing ones appended at the section's end, a missing section is added.
    Keys in `drop` are removed from the section."""
    lines = text.splitlines()
    out = []
    current = None
    seen = set()
    found_section = False

    def flush_missing():
        trailing = []
        while out and not out[-1].strip():
            trailing.append(out.pop())
        for k, v in values.items():
            if k not in seen:
                out.append("%s = %s" % (k, v))
                seen.add(k)
        out.extend(trailing)

    for line in lines:
        m = re.match(r"^\s*\[([^\]]+)\]", line)
        if m:
            if current == section:
                flush_missing()
            current = m.group(1).strip()
            if current == section:
                found_section = True
            out.append(line)
            continue
        if current == section:
            km = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*=>?", line)
            if km:
                key = km.group(1)
                if key in drop:
                    continue
                if key in values:
                    if key not in seen:
                        out.append("%s = %s" % (key, values[key]))
                        seen.add(key)
                    continue
        out.append(line)
    if current == section:
        flush_missing()
    if not found_section:
        out.append("")
        out.append("[%s]" % section)
        flush_missing()
    return "\n".join(out) + "\n"


def read_text(path):
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        return f.read()


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ----------------------------------------------------------------------------------------
# The daemon


class ZvonError(Exception):
    pass


class Zvon:
    """A zvon daemon in a temp directory, bound to 127.0.0.1 on free ports.

    etc / dialplan: dict file name -> text, written over the copies of the source etc/ and
    dialplan/ (a value None deletes the file). sip_general / rtp_general / zvon_general: extra
    keys for [general] of sip.conf / rtp.conf / zvon.conf ($ZVON_LOG_LEVEL sets log_level). start=False leaves starting to the caller (start())."""

    def __init__(self, etc=None, dialplan=None, sip_general=None, rtp_general=None, start=True,
                 keep_dir=False, zvon_general=None):
        self.etc_overrides = dict(etc or {})
        self.dialplan_overrides = dict(dialplan or {})
        self.sip_general = dict(sip_general or {})
        self.rtp_general = dict(rtp_general or {})
        self.zvon_general = dict(zvon_general or {})
        if os.environ.get("ZVON_LOG_LEVEL"):
            self.zvon_general.setdefault("log_level", os.environ["ZVON_LOG_LEVEL"])
        self.auto_start = start
        self.keep_dir = keep_dir or os.environ.get("ZVON_KEEP_TMP") == "1"
        self.proc = None
        self.log_file = None
        self.dir = None
        self.sip_port = None
        self.rtp_range = None
        self.exit_status = None

    # --- paths
    @property
    def etc_dir(self):
        return os.path.join(self.dir, "etc")

    @property
    def dialplan_dir(self):
        return os.path.join(self.dir, "dialplan")

    @property
    def log_path(self):
        return os.path.join(self.dir, "zvon.log")

    @property
    def binary(self):
        return os.path.join(BUILD_DIR, "bin", "zvon")

    # --- setup
    def prepare(self):
        self.dir = tempfile.mkdtemp(prefix="zvon-test-")
        for sub in ("etc", "dialplan"):
            src = os.path.join(SOURCE_DIR, sub)
            dst = os.path.join(self.dir, sub)
            if os.path.isdir(src):
                shutil.copytree(src, dst)
            else:
                os.makedirs(dst)
        for sub in ("run", "var"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        for name, text in self.etc_overrides.items():
            self._override(self.etc_dir, name, text)
        for name, text in self.dialplan_overrides.items():
            self._override(self.dialplan_dir, name, text)

        zconf = os.path.join(self.etc_dir, "zvon.conf")
        text = read_text(zconf) if os.path.exists(zconf) else ""
        general = {
            "run_dir": os.path.join(self.dir, "run"),
            "data_dir": os.path.join(self.dir, "var"),
            "dialplan_dir": self.dialplan_dir,
            "modules_dir": os.path.join(BUILD_DIR, "modules"),
            "sounds_dir": os.path.join(BUILD_DIR, "sounds"),
        }
        general.update(self.zvon_general)
        text = set_ini_keys(text, "general", general, drop=("log_file",))
        write_text(zconf, text)

        self.sip_port = free_port("both")
        sconf = os.path.join(self.etc_dir, "sip.conf")
        text = read_text(sconf) if os.path.exists(sconf) else ""
        general = {"bind": "127.0.0.1", "port": str(self.sip_port)}
        general.update(self.sip_general)
        write_text(sconf, set_ini_keys(text, "general", general))

        self.rtp_range = free_port_range()
        rconf = os.path.join(self.etc_dir, "rtp.conf")
        text = read_text(rconf) if os.path.exists(rconf) else ""
        general = {"rtpstart": str(self.rtp_range[0]), "rtpend": str(self.rtp_range[1])}
        general.update(self.rtp_general)
        write_text(rconf, set_ini_keys(text, "general", general))

    @staticmethod
    def _override(directory, name, text):
        path = os.path.join(directory, name)
        if text is None:
            if os.path.exists(path):
                os.remove(path)
        else:
            write_text(path, text)

    def write_etc(self, name, text):
        """Replaces etc/<name> of the running instance (for reload tests)."""
        write_text(os.path.join(self.etc_dir, name), text)

    def read_etc(self, name):
        return read_text(os.path.join(self.etc_dir, name))

    def write_dialplan(self, name, text):
        write_text(os.path.join(self.dialplan_dir, name), text)

    # --- lifecycle
    def start(self, expect_failure=False):
        """Starts the daemon and waits until its console answers. With expect_failure, waits
        for it to exit instead and returns its exit status."""
        if not os.path.exists(self.binary):
            raise ZvonError("no zvon binary at %s (ZVON_BUILD_DIR=%s)" % (self.binary, BUILD_DIR))
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "-f", "-C", self.etc_dir],
            stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT,
            cwd=self.dir, start_new_session=True)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        if expect_failure:
            try:
                self.exit_status = self.proc.wait(timeout=STARTUP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill()
                raise ZvonError("zvon was expected to refuse to start but kept running")
            return self.exit_status
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.exit_status = self.proc.returncode
                raise ZvonError("zvon exited during start-up with status %d:\n%s"
                                % (self.exit_status, self.log_text()))
            try:
                status, _ = self.rx("core show version", timeout=5)
                if status == 0:
                    return 0
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.1)
        self._kill()
        raise ZvonError("zvon did not answer `core show version` within %.0f s:\n%s"
                        % (STARTUP_TIMEOUT, self.log_text()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def rx(self, command, timeout=10):
        """Runs one console command against the daemon: (exit status, output)."""
        r = subprocess.run([self.binary, "-C", self.etc_dir, "-rx", command],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        out = r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")
        return r.returncode, out

    def log_text(self):
        if self.dir and os.path.exists(self.log_path):
            return read_text(self.log_path)
        return ""

    def wait_log(self, pattern, timeout=5.0):
        """Waits (bounded) for a regex to appear in the log; returns the match or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.log_text())
            if m:
                return m
            time.sleep(0.05)
        return None

    def wait_for(self, predicate, timeout=5.0, interval=0.1):
        """Polls predicate() (bounded) until it is truthy; returns its last value."""
        deadline = time.monotonic() + timeout
        value = predicate()
        while not value and time.monotonic() < deadline:
            time.sleep(interval)
            value = predicate()
        return value

    def stop(self, expect_status=0):
        """SIGTERM, bounded wait, exit status checked (log printed when it is wrong)."""
        if self.proc is None:
            return self.exit_status
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill()
                self._close_log()
                print("zvon did not stop within %.0f s of SIGTERM; log:\n%s"
                      % (STOP_TIMEOUT, self.log_text()))
                raise ZvonError("zvon did not stop on SIGTERM")
        self.exit_status = self.proc.returncode
        self.proc = None
        self._close_log()
        if expect_status is not None and self.exit_status != expect_status:
            print("zvon exited with status %s (expected %s); log:\n%s"
                  % (self.exit_status, expect_status, self.log_text()))
            raise ZvonError("zvon exited with status %s" % self.exit_status)
        return self.exit_status

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def _close_log(self):
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def cleanup(self):
        self._kill()
        self._close_log()
        if self.dir and not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        self.prepare()
        if self.auto_start:
            try:
                self.start()
            except Exception:
                self.cleanup()
                raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is SystemExit and self.proc is not None:
                self._kill()  # run_tests already judged the run
            elif exc_type is None and self.proc is not None:
                self.stop()
            elif self.proc is not None:
                print("zvon log at the failure:\n" + self.log_text())
                self._kill()
        finally:
            self.cleanup()
        return False

    # --- sipp
    def sipp(self, scenario, args=(), timeout=30, transport="u1", calls=1, local_port=None,
             user=None, password=None, service=None, extra_keys=None, target=None):
        """Runs sipp against this daemon (see run_sipp)."""
        return run_sipp(scenario, target or "127.0.0.1:%d" % self.sip_port, args=args,
                        timeout=timeout, transport=transport, calls=calls,
                        local_port=local_port, user=user, password=password, service=service,
                        extra_keys=extra_keys, work_dir=self.dir)


# ----------------------------------------------------------------------------------------
# sipp


class SippResult:
    def __init__(self, returncode, stdout, stderr, messages, errors, stats):
        self.returncode = returncode  # 0: all calls succeeded, 1: some failed, 97/99: errors
        self.stdout = stdout
        self.stderr = stderr
        self.messages = messages      # the -trace_msg log: every message sent and received
        self.errors = errors          # the -trace_err log
        self.stats = stats            # dict from the final -trace_stat row (may be empty)

    @property
    def ok(self):
        return self.returncode == 0

    def __repr__(self):
        return "SippResult(rc=%s, stats=%s)" % (self.returncode, self.stats)

    def describe(self):
        return ("sipp exit %s\n--- stdout\n%s\n--- stderr\n%s\n--- errors\n%s\n--- messages\n%s"
                % (self.returncode, self.stdout[-3000:], self.stderr[-3000:], self.errors[-3000:],
                   self.messages[-6000:]))


def scenario_path(name):
    return name if os.path.isabs(name) else os.path.join(SIPP_DIR, name)


def run_sipp(scenario, target, args=(), timeout=30, transport="u1", calls=1, local_port=None,
             user=None, password=None, service=None, extra_keys=None, work_dir=None,
             background=False):
    """Runs sipp with scenario file `scenario` (a name under tests/integration/sipp/ or a path)
    against `target` ("127.0.0.1:5060"), bounded by `timeout` seconds. Returns a SippResult,
    or with background=True a SippProcess to finish() later."""
    work = tempfile.mkdtemp(prefix="sipp-", dir=work_dir)
    msg_file = os.path.join(work, "messages.log")
    err_file = os.path.join(work, "errors.log")
    stat_file = os.path.join(work, "stats.csv")
    cmd = ["sipp", "-sf", scenario_path(scenario), "-i", "127.0.0.1", "-t", transport,
           "-m", str(calls), "-timeout", "%ds" % max(1, int(timeout) - 2), "-timeout_error",
           "-nostdin",
           "-trace_msg", "-message_file", msg_file,
           "-trace_err", "-error_file", err_file,
           "-trace_stat", "-stf", stat_file,
           "-max_recv_loops", "1000"]
    cmd += ["-p", str(local_port if local_port else free_port("both"))]
    if user is not None:
        cmd += ["-au", user, "-s", service or user]
    elif service is not None:
        cmd += ["-s", service]
    if password is not None:
        cmd += ["-ap", password]
    for k, v in (extra_keys or {}).items():
        cmd += ["-key", k, str(v)]
    cmd += list(args)
    if target:
        cmd.append(target)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=work, start_new_session=True)
    sp = SippProcess(proc, cmd, timeout, msg_file, err_file, stat_file)
    return sp if background else sp.finish()


class SippProcess:
    def __init__(self, proc, cmd, timeout, msg_file, err_file, stat_file):
        self.proc = proc
        self.cmd = cmd
        self.deadline = time.monotonic() + timeout
        self.msg_file, self.err_file, self.stat_file = msg_file, err_file, stat_file

    def finish(self):
        try:
            out, err = self.proc.communicate(timeout=max(0.1, self.deadline - time.monotonic()))
            rc = self.proc.returncode
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = self.proc.communicate(timeout=5)
            rc = -9
        stats = {}
        if os.path.exists(self.stat_file):
            rows = [r for r in read_text(self.stat_file).splitlines() if r.strip()]
            if len(rows) >= 2:
                stats = dict(zip(rows[0].split(";"), rows[-1].split(";")))
        messages = read_text(self.msg_file) if os.path.exists(self.msg_file) else ""
        errors = read_text(self.err_file) if os.path.exists(self.err_file) else ""
        return SippResult(rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                          messages, errors, stats)

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=5)


# ----------------------------------------------------------------------------------------
# A tiny SIP client for precise checks (raw messages over UDP or TCP, digest auth)


def md5hex(s):
    return hashlib.md5(s.encode("utf-8")).hexdigest()


def parse_auth_params(value):
    """'Digest realm="x", nonce="y", qop="auth"' -> ('Digest', {'realm': 'x', ...})."""
    scheme, _, rest = value.strip().partition(" ")
    params = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("([^"]*)"|[^,\s]+)', rest):
        params[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return scheme, params


def digest_header(method, uri, user, password, challenge_params, cnonce="0a4f113b", nc=1):
    realm = challenge_params.get("realm", "")
    nonce = challenge_params.get("nonce", "")
    ha1 = md5hex("%s:%s:%s" % (user, realm, password))
    ha2 = md5hex("%s:%s" % (method, uri))
    qop = challenge_params.get("qop")
    if qop:
        qop = "auth"
        ncs = "%08x" % nc
        resp = md5hex("%s:%s:%s:%s:%s:%s" % (ha1, nonce, ncs, cnonce, qop, ha2))
        extra = ', qop=%s, nc=%s, cnonce="%s"' % (qop, ncs, cnonce)
    else:
        resp = md5hex("%s:%s:%s" % (ha1, nonce, ha2))
        extra = ""
    opaque = challenge_params.get("opaque")
    if opaque is not None:
        extra += ', opaque="%s"' % opaque
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=MD5%s' % (user, realm, nonce, uri, resp, extra))


def answer_challenge(challenge, method, uri, user, password):
    """The Authorization (401) or Proxy-Authorization (407) header line answering `challenge`."""
    name = "WWW-Authenticate" if challenge.status == 401 else "Proxy-Authenticate"
    auth_name = "Authorization" if challenge.status == 401 else "Proxy-Authorization"
    _, params = parse_auth_params(challenge.header(name) or "")
    return "%s: %s" % (auth_name, digest_header(method, uri, user, password, params))


class SipResponse:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.start_line = lines[0]
        parts = lines[0].split(" ", 2)
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        self.reason = parts[2] if len(parts) > 2 else ""
        self.headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.append((name.strip(), value.strip()))

    def header(self, name):
        short = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
                 "l": "content-length", "c": "content-type"}
        for n, v in self.headers:
            n = n.lower()
            if short.get(n, n) == name.lower():
                return v
        return None

    def header_names(self):
        return [n.lower() for n, _ in self.headers]

    def __repr__(self):
        return "SipResponse(%s)" % self.start_line


class SipClient:
    """Sends hand-made SIP requests over UDP or TCP from 127.0.0.1 and reads the answers."""

    def __init__(self, port, transport="udp", host="127.0.0.1"):
        self.host, self.port, self.transport = host, port, transport
        if transport == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((host, 0))
        else:
            self.sock = socket.create_connection((host, port), timeout=5)
        self.local_port = self.sock.getsockname()[1]
        self.buffer = b""
        self.cseq = 1
        self.call_id = uuid.uuid4().hex
        self.tag = uuid.uuid4().hex[:10]

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if self.transport == "udp":
            self.sock.sendto(data, (self.host, self.port))
        else:
            self.sock.sendall(data)

    def recv(self, timeout=3.0):
        """The next SIP message received (a SipResponse), or None on timeout / closed."""
        deadline = time.monotonic() + timeout
        while True:
            if self.transport != "udp":
                msg = self._take_stream_message()
                if msg is not None:
                    return SipResponse(msg)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                if self.transport == "udp":
                    data, _ = self.sock.recvfrom(65535)
                    text = data.decode("utf-8", "replace")
                    if not text.strip():
                        continue  # keep-alive
                    return SipResponse(text)
                data = self.sock.recv(65535)
                if not data:
                    return None
                self.buffer += data
            except socket.timeout:
                return None
            except OSError:
                return None

    def _take_stream_message(self):
        self.buffer = self.buffer.lstrip(b"\r\n")
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buffer[:end].decode("utf-8", "replace")
        m = re.search(r"(?im)^(content-length|l)\s*:\s*(\d+)", head)
        length = int(m.group(2)) if m else 0
        total = end + 4 + length
        if len(self.buffer) < total:
            return None
        msg, self.buffer = self.buffer[:total], self.buffer[total:]
        return msg.decode("utf-8", "replace")

    def recv_final(self, timeout=5.0):
        """Skips provisional responses; returns the first final one (or None)."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.recv(max(0.05, deadline - time.monotonic()))
            if r is None or r.status >= 200 or time.monotonic() > deadline:
                return r

    def request(self, method, uri, headers=(), body="", to_uri=None, from_uri=None,
                call_id=None, cseq=None, branch=None, to_tag=None):
        """Builds and sends a request; returns the text sent."""
        tp = "UDP" if self.transport == "udp" else "TCP"
        branch = branch or "z9hG4bK" + uuid.uuid4().hex[:16]
        self.last_branch = branch
        to_uri = to_uri or uri
        from_uri = from_uri or to_uri
        if cseq is None:
            cseq = self.cseq
            self.cseq += 1
        lines = [
            "%s %s SIP/2.0" % (method, uri),
            "Via: SIP/2.0/%s 127.0.0.1:%d;branch=%s;rport" % (tp, self.local_port, branch),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (from_uri, self.tag),
            "To: <%s>%s" % (to_uri, ";tag=" + to_tag if to_tag else ""),
            "Call-ID: %s" % (call_id or self.call_id),
            "CSeq: %d %s" % (cseq, method),
        ]
        lines += list(headers)
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body.encode("utf-8")))
        text = "\r\n".join(lines) + "\r\n\r\n" + body
        self.send_raw(text)
        return text

    def register(self, user, password=None, expires=60, domain="127.0.0.1", timeout=5.0,
                 contact=None, auth_user=None):
        """REGISTER as `user` (digest username `auth_user`, default `user`); answers a
        challenge with `password` when given. `contact`: the Contact URI (default this
        socket). Returns (first final response, final response after authenticating or None)."""
        uri = "sip:%s" % domain
        aor = "sip:%s@%s" % (user, domain)
        contact = contact or "sip:%s@127.0.0.1:%d;transport=%s" % (
            user, self.local_port, self.transport)
        hdrs = ["Contact: <%s>" % contact, "Expires: %d" % expires]
        self.request("REGISTER", uri, hdrs, to_uri=aor, from_uri=aor)
        first = self.recv_final(timeout)
        if first is None or first.status not in (401, 407) or password is None:
            return first, None
        auth = answer_challenge(first, "REGISTER", uri, auth_user or user, password)
        self.request("REGISTER", uri, hdrs + [auth], to_uri=aor, from_uri=aor)
        return first, self.recv_final(timeout)

    def ack_failure(self, response, uri):
        """ACKs a non-2xx final answer to the INVITE sent last (same branch and CSeq)."""
        to = response.header("to") or ""
        m = re.search(r";tag=([^;>\s]+)", to)
        cseq = int((response.header("cseq") or "1").split()[0])
        self.request("ACK", uri, to_uri=self.last_to_uri, from_uri=self.last_from_uri,
                     cseq=cseq, branch=self.last_branch, to_tag=m.group(1) if m else None)

    def invite(self, user, password, exten, sdp, domain="127.0.0.1", timeout=5.0):
        """INVITE `exten` as endpoint `user`, answering the 407 challenge with `password`.
        Returns (the challenge, the first final response after authenticating)."""
        uri = "sip:%s@%s" % (exten, domain)
        frm = "sip:%s@%s" % (user, domain)
        contact = "Contact: <sip:%s@127.0.0.1:%d;transport=%s>" % (
            user, self.local_port, self.transport)
        self.last_to_uri, self.last_from_uri = uri, frm
        self.request("INVITE", uri, [contact], body=sdp, to_uri=uri, from_uri=frm)
        first = self.recv_final(timeout)
        if first is None or first.status not in (401, 407):
            return first, None
        self.ack_failure(first, uri)
        auth = answer_challenge(first, "INVITE", uri, user, password)
        self.request("INVITE", uri, [contact, auth], body=sdp, to_uri=uri, from_uri=frm)
        final = self.recv_final(timeout)
        if final is not None and final.status >= 300:
            self.ack_failure(final, uri)
        return first, final

    def subscribe(self, user, password, exten, event="dialog", expires=600, accept=None,
                  domain="127.0.0.1", timeout=5.0, to_tag=None):
        """SUBSCRIBE to `exten` as endpoint `user` (Event: `event`), answering a 407/401
        challenge with `password` when given; `to_tag` refreshes the subscription made before
        on this client. Returns (first final response, final after authenticating or None)."""
        uri = "sip:%s@%s" % (exten, domain)
        frm = "sip:%s@%s" % (user, domain)
        hdrs = ["Contact: <sip:%s@127.0.0.1:%d;transport=%s>" % (user, self.local_port,
                                                               self.transport),
                "Event: %s" % event, "Expires: %d" % expires]
        if accept is not None:
            hdrs.append("Accept: %s" % accept)
        self.request("SUBSCRIBE", uri, hdrs, to_uri=uri, from_uri=frm, to_tag=to_tag)
        first = self.recv_final(timeout)
        if first is None or first.status not in (401, 407) or password is None:
            return first, None
        auth = answer_challenge(first, "SUBSCRIBE", uri, user, password)
        self.request("SUBSCRIBE", uri, hdrs + [auth], to_uri=uri, from_uri=frm, to_tag=to_tag)
        return first, self.recv_final(timeout)

    def recv_request(self, method, timeout=5.0):
        """The next request `method` received (a SipResponse whose start_line is the request
        line), skipping responses; None on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.recv(max(0.05, deadline - time.monotonic()))
            if m is not None and m.start_line.startswith(method + " "):
                return m
        return None

    def respond(self, request, code=200, reason="OK"):
        """Answers a request received (Via, From, To, Call-ID and CSeq copied)."""
        lines = ["SIP/2.0 %d %s" % (code, reason)]
        for n, v in request.headers:
            if n.lower() in ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"):
                lines.append("%s: %s" % (n, v))
        lines.append("Content-Length: 0")
        self.send_raw("\r\n".join(lines) + "\r\n\r\n")


# ----------------------------------------------------------------------------------------
# Running test functions


def zvon_stops_cleanly(z):
    """SIGTERM ends the daemon with status 0 and no sanitizer report in its log."""
    z.stop()
    log = z.log_text()
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        check(marker not in log, "sanitizer report in the zvon log:\n" + log[-4000:])


def run_tests(tests, *args):
    """Runs each test function (with *args), prints each result and the closing line
    "N passed, M failed"; exits 0 only when none failed. When the first argument is a running
    Zvon, stopping it cleanly (exit status 0, no sanitizer report) is the last test."""
    tests = list(tests)
    if args and isinstance(args[0], Zvon) and args[0].running():
        tests.append(zvon_stops_cleanly)
    passed = failed = 0
    for t in tests:
        name = getattr(t, "__name__", str(t))
        started = time.monotonic()
        try:
            t(*args)
            passed += 1
            print("PASS %s (%.1f s)" % (name, time.monotonic() - started), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s (%.1f s)" % (name, time.monotonic() - started), flush=True)
            traceback.print_exc()
            sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(0 if failed == 0 else 1)


def check(condition, message="check failed"):
    """assert that survives python -O, with a message."""
    if not condition:
        raise AssertionError(message)
