"""The systems under test: zvon (a B2BUA with its dialplan) and Kamailio (the reference, a
transaction-stateful proxy). Both listen on their own loopback port, pinned to the target core,
and send every call to the same sipp callee."""

import os
import re
import signal
import subprocess
import time

from . import machine
from .sipp import Sipp, scenario, users_file

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CALLER = 9000         # the calling endpoint (sipp -au/-ap), password pw9000
CALLEE = 8000         # the endpoint the dialplan dials: the sipp callee registers as it
FIRST_USER = 100000   # registration users: FIRST_USER .. FIRST_USER + users - 1


class TargetError(Exception):
    pass


def _stop_process(proc, timeout=15):
    if proc is None or proc.poll() is not None:
        return proc.returncode if proc else None
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)
        return None


class Zvon:
    name = "zvon"

    def __init__(self, build_dir, work_root, cores, users, rtp_range, nice=None, wrapper=(),
                 callee_allow="ulaw", dtmfmode=None, telephone_event=False):
        self.build_dir = build_dir
        # sip.conf dtmfmode= of every endpoint (None: chan_sip's default, auto, which detects
        # in-band digits on G.711 when no telephone-event is negotiated, as with sipp here).
        self.dtmfmode = dtmfmode
        # Whether the endpoints allow telephone-event (RFC 4733) beside their codec.
        self.telephone_event = telephone_event
        # The codecs the called endpoint allows (sip.conf allow=): "opus" makes every call a
        # G.711 <-> Opus transcoded one, the caller offering only PCMU.
        self.callee_allow = callee_allow
        # A command the daemon runs under (valgrind for bench/run.sh --callgrind): start-up
        # is then tens of times slower, so the waits below stretch.
        self.wrapper = list(wrapper)
        self.slow = 6 if self.wrapper else 1
        self.dir = os.path.join(work_root, "zvon")
        self.cores = cores
        self.users = users
        self.rtp_range = rtp_range
        self.nice = nice
        self.sip_port = machine.free_port("both")
        self.proc = None
        self.log_path = os.path.join(self.dir, "zvon.log")

    @property
    def binary(self):
        return os.path.join(self.build_dir, "bin", "zvon")

    @property
    def etc(self):
        return os.path.join(self.dir, "etc")

    def describe(self):
        return ("zvon (Release build, workers = 1, log_level = warning), UDP 127.0.0.1:%d"
                % self.sip_port)

    def write_config(self):
        for sub in ("etc", "dialplan", "run", "var"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        files = {
            "etc/zvon.conf": "\n".join([
                "; written by bench/zvonbench/targets.py",
                "[general]",
                "workers = 1",
                "log_level = warning",
                "dialplan_dir = %s" % os.path.join(self.dir, "dialplan"),
                "run_dir = %s" % os.path.join(self.dir, "run"),
                "data_dir = %s" % os.path.join(self.dir, "var"),
                "modules_dir = %s" % os.path.join(self.build_dir, "modules"),
                "sounds_dir = %s" % os.path.join(self.build_dir, "sounds"),
                ""]),
            "etc/modules.conf": "[modules]\nautoload = yes\n",
            "etc/rtp.conf": "[general]\nrtpstart = %d\nrtpend = %d\n" % self.rtp_range,
            "etc/sip.conf": self._sip_conf(),
            "dialplan/extensions.conf": "\n".join([
                "; every number rings the sipp callee",
                "[bench]",
                "exten => _X.,1,Dial(SIP/%d,30)" % CALLEE,
                " same => n,Hangup()",
                ""]),
        }
        for rel, text in files.items():
            with open(os.path.join(self.dir, rel), "w") as f:
                f.write(text)

    def _sip_conf(self):
        lines = [
            "; written by bench/zvonbench/targets.py: every password is pw<name>",
            "[general]",
            "bind = 127.0.0.1",
            "port = %d" % self.sip_port,
            "transports = udp",
            "realm = zvon-bench",
            "minexpiry = 60",
            "maxexpiry = 3600",
            "defaultexpiry = 3600",
            "",
            "[bench](!)",
            "type = endpoint",
            "context = bench",
            "allow = ulaw" + (",telephone-event" if self.telephone_event else ""),
        ] + (["dtmfmode = %s" % self.dtmfmode] if self.dtmfmode else []) + [
            "",
        ]
        for user in [CALLER, CALLEE] + list(range(FIRST_USER, FIRST_USER + self.users)):
            lines.append("[%d](bench)" % user)
            lines.append("secret = pw%d" % user)
            if user == CALLEE and self.callee_allow != "ulaw":
                lines += ["disallow = all", "allow = %s%s" % (
                    self.callee_allow, ",telephone-event" if self.telephone_event else "")]
        return "\n".join(lines) + "\n"

    def start(self):
        if not os.path.exists(self.binary):
            raise TargetError("no zvon binary at %s" % self.binary)
        self.write_config()
        cmd = machine.pinned(self.cores.target, self.wrapper + [self.binary, "-f", "-C", self.etc],
                             self.nice)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        machine.set_autogroup_nice(self.proc.pid, self.nice)
        deadline = time.monotonic() + 30 * self.slow
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TargetError("zvon exited at start (status %s); log %s:\n%s"
                                  % (self.proc.returncode, self.log_path, self.log_tail()))
            if self.console("core show version")[0] == 0:
                break
            time.sleep(0.2)
        else:
            raise TargetError("zvon's console did not answer within %d s; log:\n%s"
                              % (30 * self.slow, self.log_tail()))
        if not machine.wait_sip_answer(self.sip_port, 15.0 * self.slow):
            raise TargetError("zvon does not answer SIP on 127.0.0.1:%d; log:\n%s"
                              % (self.sip_port, self.log_tail()))

    def console(self, command, timeout=10):
        try:
            r = subprocess.run([self.binary, "-C", self.etc, "-rx", command],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return -1, ""
        return r.returncode, r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")

    def active_channels(self):
        status, out = self.console("core show channels")
        m = re.search(r"(\d+) active channel", out)
        return int(m.group(1)) if status == 0 and m else None

    def register_callee(self, work_root, name, uas_port, core):
        """The dialplan dials SIP/8000: the sipp callee registers as 8000 from the port it is
        about to answer on (the newest registration is the one dialled)."""
        users = users_file(os.path.join(work_root, "callee.csv"), CALLEE, 1)
        reg = Sipp(name + "-register-callee", scenario("register.xml"), work_root, core, uas_port,
                   target="127.0.0.1:%d" % self.sip_port, calls=1, timeout=15,
                   args=["-inf", users]).start().wait()
        if reg.succeeded != 1:
            raise TargetError("the sipp callee could not register with zvon as %d:\n%s"
                              % (CALLEE, reg.first_errors()))

    def pids(self):
        return [self.proc.pid] if self.running() else []

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_kib(self):
        return machine.rss_kib(self.pids())

    def log_tail(self, chars=3000):
        return machine.tail(self.log_path, chars)

    def stop(self):
        status = _stop_process(self.proc, 15 * self.slow)
        if getattr(self, "log", None):
            self.log.close()
        return status


class Kamailio:
    name = "Kamailio"

    def __init__(self, work_root, cores, nice=None, wrapper=()):
        self.wrapper = list(wrapper)
        self.slow = 6 if self.wrapper else 1
        self.dir = os.path.join(work_root, "kamailio")
        os.makedirs(self.dir, exist_ok=True)
        self.cores = cores
        self.nice = nice
        self.sip_port = machine.free_port("udp")
        self.proc = None
        self.log_path = os.path.join(self.dir, "kamailio.log")
        self.cfg = os.path.join(BENCH_DIR, "kamailio", "kamailio.cfg")

    def version(self):
        try:
            out = subprocess.run(["kamailio", "-v"], capture_output=True, timeout=10).stdout
            return out.decode().splitlines()[0].replace("version: ", "")
        except (OSError, subprocess.TimeoutExpired, IndexError):
            return "kamailio (version unknown)"

    def describe(self):
        return ("%s, bench/kamailio/kamailio.cfg: tm + rr stateful proxy, one UDP worker (-n 1), "
                "fast allocator (-x fm), UDP 127.0.0.1:%d" % (self.version().strip(), self.sip_port))

    def start(self):
        cmd = machine.taskset(self.cores.target, self.wrapper + [
            "kamailio", "-DD", "-E", "-f", self.cfg,
            "-l", "udp:127.0.0.1:%d" % self.sip_port, "-n", "1", "-x", "fm",
            "-m", "1024", "-M", "32", "-Y", self.dir, "-w", self.dir])
        if self.nice is not None:
            cmd = ["nice", "-n", str(self.nice)] + cmd
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        machine.set_autogroup_nice(self.proc.pid, self.nice)
        if not machine.wait_sip_answer(self.sip_port, 15.0 * self.slow):
            self.stop()
            raise TargetError("Kamailio does not answer SIP on 127.0.0.1:%d; log:\n%s"
                              % (self.sip_port, self.log_tail()))

    def register_callee(self, work_root, name, uas_port, core):
        pass  # the called number is the callee's port (kamailio.cfg)

    def active_channels(self):
        return None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def pids(self):
        return machine.process_tree(self.proc.pid) if self.running() else []

    def rss_kib(self):
        return machine.rss_kib(self.pids())

    def log_tail(self, chars=3000):
        return machine.tail(self.log_path, chars)

    def stop(self):
        status = _stop_process(self.proc, 15 * self.slow)
        if getattr(self, "log", None):
            self.log.close()
        return status


class Running:
    """A target that a scenario may restart: after an overloaded step, a fresh process, so
    what the overload left behind (transactions retransmitting for up to 32 s, half-set-up
    legs) does not weigh on the next step."""

    def __init__(self, make):
        self.make = make
        self.target = None
        self.restarts = 0

    def start(self):
        self.target = self.make()
        self.target.start()
        return self

    def restart(self):
        self.target.stop()
        time.sleep(0.5)
        self.restarts += 1
        return self.start()

    def stop(self):
        if self.target is not None:
            self.target.stop()
