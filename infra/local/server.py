"""Start the local stack: moto, the template's resources, the seed catalog, the functions, and
the HTTP API on 127.0.0.1. `python -m infra.local` runs `main()`."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from infra.local import emulation, state
from infra.local.bus import BusDelivery
from infra.local.cfn import Resolver, StackContext, TemplateError, load_template_file
from infra.local.cfn import parameter_values as resolve_parameters
from infra.local.control import ControlApi
from infra.local.gateway import MAX_BODY_BYTES, ApiContext, Gateway
from infra.local.launcher import READY_LINE
from infra.local.messages import HttpRequest, HttpResponse, gateway_error
from infra.local.outbox import SesOutbox
from infra.local.paypage import SandboxPayPage
from infra.local.resources import CreatedResource, create_resources
from infra.local.runtime import MOTO_LOCK, FunctionHost
from infra.local.seed import SEED_CATALOG, SeedError, seed_catalog
from infra.local.signin import LocalSignIn
from infra.local.streams import StreamDelivery
from infra.local.template import (
    DEFAULT_WEBHOOK_SECRET,
    StackModel,
    local_environment_overrides,
    read_stack,
)
from infra.local.tokens import DEFAULT_SECRET
from infra.local.webapps import WebApps

log = logging.getLogger("local_stack")
PUMP_INTERVAL_S = 0.3
STOP_WAIT_S = 2.0  # how long a stop waits for a running invocation before saving
STOP_DEADLINE_S = 4.5  # a stop never takes longer (the budget is 5 s from the signal)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
ACCOUNT_ID = "123456789012"  # moto's default account


class StartupError(Exception):
    """The stack cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class Settings:
    template: Path
    api_port: int
    moto_port: int  # 0: any free port
    jwt_secret: str
    region: str
    seed_file: Path
    webhook_secret: str
    state_dir: Path | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        def port(name: str, default: int) -> int:
            raw = environ.get(name, "")
            if not raw:
                return default
            if not raw.isdigit() or not 0 <= int(raw) <= 65535:
                raise StartupError(f"{name} must be a port number, got {raw!r}")
            return int(raw)

        return cls(
            template=Path(environ.get("ATELIER_TEMPLATE") or PROJECT_ROOT / "template.yaml"),
            api_port=port("ATELIER_PORT", 3000),
            moto_port=port("MOTO_PORT", 0),
            jwt_secret=environ.get("ATELIER_LOCAL_JWT_SECRET") or DEFAULT_SECRET,
            region=environ.get("AWS_DEFAULT_REGION") or environ.get("AWS_REGION") or "us-east-1",
            seed_file=Path(environ.get("ATELIER_SEED_FILE") or SEED_CATALOG),
            webhook_secret=environ.get("ATELIER_WEBHOOK_SECRET") or DEFAULT_WEBHOOK_SECRET,
            state_dir=Path(environ["ATELIER_LOCAL_STATE"])
            if environ.get("ATELIER_LOCAL_STATE")
            else None,
        )


# ---------------------------------------------------------------------------- HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: Callable[[HttpRequest], HttpResponse]


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _serve(self) -> None:
        started = time.monotonic()
        response = self._respond()
        self._write(response)
        path = self.path.split("?", 1)[0]
        elapsed_ms = (time.monotonic() - started) * 1000
        log.info("%s %s -> %d in %d ms", self.command, path, response.status, elapsed_ms)

    def _respond(self) -> HttpResponse:
        try:
            body = self._read_body()
        except ValueError:  # a Content-Length or chunk size that is not a number
            self.close_connection = True
            return gateway_error(400, "Bad Request")
        if body is None:
            self.close_connection = True  # the unread body must not be taken for a request
            return gateway_error(413, "Request Entity Too Large")
        request = HttpRequest(
            method=self.command,
            target=self.path,
            headers=tuple(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        try:
            return self.server.app(request)
        except Exception:
            log.exception("the local stack failed on %s", self.command)
            return gateway_error(500, "Internal Server Error")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def _read_body(self) -> bytes | None:
        """The request body, or None when it is over HTTP API's 10 MB quota."""
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _write(self, response: HttpResponse) -> None:
        self.send_response_only(response.status)
        self.send_header("date", self.date_time_string())
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """One line per request is logged by `_serve`, never the raw request line."""


# ---------------------------------------------------------------------------- the stack


class LocalStack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.api_url = f"http://{HOST}:{settings.api_port}"
        self.moto_url = ""
        self.model: StackModel | None = None
        self.created: list[CreatedResource] = []
        self.seeded: list[str] = []
        self.load_failures: dict[str, BaseException] = {}
        self._http: _Server | None = None
        self._http_thread: threading.Thread | None = None
        self._moto: Any = None
        self._resolver: Resolver | None = None
        self._pump_stop = threading.Event()
        self._clock: Any = None
        self._outbox: SesOutbox | None = None
        self._streams: StreamDelivery | None = None
        self._bus: BusDelivery | None = None
        self.restored: state.SavedState | None = None

    def start(self) -> None:
        self._bind_http()
        self._start_moto()
        template = self._read_template()
        self._configure_environment()
        self._create_resources(template)
        clock = self._install_clock()
        emulation.set_stream_clock(clock.now)
        outbox = SesOutbox(clock, ACCOUNT_ID, self.settings.region)
        self._clock, self._outbox = clock, outbox
        assert self.model is not None
        self.restored = self._load_state()
        if self.restored is None:
            self._seed()
        else:
            self._restore(self.restored, clock, outbox)
        streams = self._stream_delivery()
        if self.restored is not None:
            streams.resume_from(self.restored.stream_positions)
        bus = self._bus_delivery()
        self._streams, self._bus = streams, bus
        host = FunctionHost(self.model.functions, after_invoke=[streams, bus, outbox.observe])
        streams.invoker = host
        bus.invoker = host
        self._start_pump([streams, bus])
        self.load_failures = host.warm_up()
        for logical_id, exc in self.load_failures.items():
            log.error(
                "%s could not be loaded; its routes answer 500 until it imports:\n%s",
                logical_id,
                "".join(traceback.format_exception(exc)).rstrip(),
            )
        gateway = Gateway(
            self.model.routes,
            self.model.apis,
            self.model.functions,
            host,
            clock,
            self.settings.jwt_secret,
            ApiContext(account_id=ACCOUNT_ID),
        )
        control = ControlApi(
            stack=self.model,
            invoker=host,
            clock=clock,
            jwt_secret=self.settings.jwt_secret,
            outbox=outbox.emails,
            lock=MOTO_LOCK,
            region=self.settings.region,
            account_id=ACCOUNT_ID,
            stack_name="atelier-local",
            stats=self.stats,
        )

        pay_page = self._pay_page(gateway, clock)
        sign_in = LocalSignIn(secret=self.settings.jwt_secret, clock=clock)
        web = WebApps(moto_url=self.moto_url)

        def app(request: HttpRequest) -> HttpResponse:
            if SandboxPayPage.owns(request.raw_path):
                return pay_page.handle(request)
            if LocalSignIn.owns(request.raw_path):
                return sign_in.handle(request)
            if WebApps.owns(request.raw_path):
                return web.handle(request)
            if ControlApi.owns(request.raw_path):
                return control.handle(request)
            return gateway.handle(request)

        assert self._http is not None
        self._http.app = app
        self._http_thread = threading.Thread(
            target=self._http.serve_forever, name="local-stack-http", daemon=True
        )
        self._http_thread.start()

    def _start_pump(self, deliveries: list[Callable[[], None]]) -> None:
        """Deliveries that start outside any function (an upload straight to S3's presigned
        POST raises an S3 event; nothing invoked a function): looked for a few times a
        second, under the same lock as every invocation."""

        def pump() -> None:
            while not self._pump_stop.wait(PUMP_INTERVAL_S):
                try:
                    with MOTO_LOCK:
                        for deliver in deliveries:
                            deliver()
                except Exception:
                    log.exception("background delivery failed")

        threading.Thread(target=pump, name="local-stack-deliveries", daemon=True).start()

    def stop(self) -> None:
        """Stop serving, save the state when asked to, stop moto. Takes no lock it could wait
        on for long: an invocation still running gets `STOP_WAIT_S` to finish."""
        self._pump_stop.set()
        if self._http is not None:
            if self._http_thread is not None:
                self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self.settings.state_dir is not None and self._streams is not None:
            idle = MOTO_LOCK.acquire(timeout=STOP_WAIT_S)
            try:
                if not idle:
                    log.warning("an invocation was still running; saving the state as it is")
                self._save_state()
            except Exception:
                log.exception("the state could not be saved; the previous one is kept")
            finally:
                if idle:
                    MOTO_LOCK.release()
        if self._moto is not None:
            self._moto.stop()
            self._moto = None

    # ------------------------------------------------------------------ state

    def _table_names(self) -> set[str]:
        assert self.model is not None and self._resolver is not None
        return {
            str(self._resolver.ref(logical_id))
            for logical_id, kind in self.model.resources.items()
            if kind == "AWS::DynamoDB::Table"
        }

    def _bucket_names(self) -> set[str]:
        assert self.model is not None and self._resolver is not None
        return {
            str(self._resolver.ref(logical_id))
            for logical_id, kind in self.model.resources.items()
            if kind == "AWS::S3::Bucket"
        }

    def _load_state(self) -> state.SavedState | None:
        directory = self.settings.state_dir
        if directory is None:
            return None
        try:
            return state.load(directory, self._table_names(), self._bucket_names())
        except state.StateError as exc:
            raise StartupError(f"ATELIER_LOCAL_STATE: {exc}") from exc

    def _restore(self, saved: state.SavedState, clock: Any, outbox: SesOutbox) -> None:
        import boto3
        from moto.dynamodb.models import dynamodb_backends

        with MOTO_LOCK, emulation.BACKEND_LOCK:
            backend = dynamodb_backends[ACCOUNT_ID][self.settings.region]
            items = state.restore_tables(backend, saved.tables)
        with MOTO_LOCK:
            objects = state.restore_buckets(
                boto3.client("s3", endpoint_url=self.moto_url, region_name=self.settings.region),
                saved.buckets,
            )
        clock.offset_seconds = saved.clock_offset_seconds
        outbox.restore(saved.emails, saved.emails_sent_total)
        log.info(
            "state restored from %s: %d items, %d evidence objects, %d emails, clock +%d s",
            self.settings.state_dir,
            items,
            objects,
            len(saved.emails),
            saved.clock_offset_seconds,
        )

    def _save_state(self) -> None:
        import boto3
        from moto.dynamodb.models import dynamodb_backends

        assert self.settings.state_dir is not None and self._streams is not None
        assert self._outbox is not None
        positions = self._streams.positions()
        lowest = self._streams.lowest_positions()
        started = time.monotonic()
        emails = self._outbox.snapshot()
        with emulation.BACKEND_LOCK:
            backend = dynamodb_backends[ACCOUNT_ID][self.settings.region]
            tables = state.capture_tables(backend, self._table_names(), lowest)
        buckets = state.capture_buckets(
            boto3.client("s3", endpoint_url=self.moto_url, region_name=self.settings.region),
            self._bucket_names(),
        )
        path = state.save(
            self.settings.state_dir,
            state.SavedState(
                clock_offset_seconds=int(self._clock.offset_seconds),
                tables=tables,
                buckets=buckets,
                emails=emails,
                emails_sent_total=self._outbox.sent_total,
                stream_positions=positions,
            ),
        )
        log.info("state saved to %s in %.1f s", path, time.monotonic() - started)

    # ------------------------------------------------------------------ stats

    def stats(self) -> dict[str, Any]:
        """What `GET /_local/stats` answers: what the stack holds and has delivered."""
        from moto.dynamodb.models import dynamodb_backends

        assert self._streams is not None and self._bus is not None and self._outbox is not None
        self._outbox.observe()
        with emulation.BACKEND_LOCK:
            backend = dynamodb_backends[ACCOUNT_ID][self.settings.region]
            tables = {}
            for name in sorted(self._table_names()):
                table = backend.get_table(name)
                tables[name] = {
                    "items": sum(1 for _ in table.all_items()),
                    "stream_records_kept": len(table.stream_shard.items)
                    if table.stream_shard is not None
                    else 0,
                }
        published = dict(sorted(self._bus.events_published.items()))
        return {
            "rss_mb": resident_memory_mb(),
            "tables": tables,
            "stream_records_delivered": self._streams.records_delivered,
            "stream_records_dropped": self._streams.records_dropped,
            "stream_records_trimmed_unread": self._streams.gaps,
            "events_published": published,
            "events_published_total": sum(published.values()),
            "bus_events_dead_lettered": self._bus.dead_lettered,
            "emails_sent_total": self._outbox.sent_total,
            "emails_kept": len(self._outbox.snapshot()),
            "client_request_tokens_kept": len(emulation.TOKENS),
        }

    # ------------------------------------------------------------------ steps

    def _bind_http(self) -> None:
        try:
            self._http = _Server((HOST, self.settings.api_port), _RequestHandler)
        except OSError as exc:
            raise StartupError(
                f"cannot listen on {HOST}:{self.settings.api_port} ({exc.strerror}); "
                "stop whatever uses it or set ATELIER_PORT"
            ) from exc
        port = self._http.server_address[1]
        self.api_url = f"http://{HOST}:{port}"

    def _start_moto(self) -> None:
        try:
            emulation.install()
        except emulation.UnsupportedMoto as exc:
            raise StartupError(str(exc)) from exc
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        try:
            self._moto = emulation.MotoServer(HOST, self.settings.moto_port)
        except OSError as exc:
            raise StartupError(
                f"cannot start moto on {HOST}:{self.settings.moto_port} ({exc.strerror}); "
                "set MOTO_PORT to a free port or leave it unset"
            ) from exc
        self._moto.start()
        self.moto_url = self._moto.url

    def _read_template(self) -> dict[str, Any]:
        path = self.settings.template
        try:
            template = load_template_file(path)
            declared = template.get("Parameters") or {}
            defaults = local_parameter_defaults(self.api_url)
            overrides = {name: value for name, value in defaults.items() if name in declared}
            overrides.update({name: os.environ[name] for name in declared if name in os.environ})
            context = StackContext(
                region=self.settings.region,
                account_id=ACCOUNT_ID,
                aws_endpoint_url=self.moto_url,
                api_url=self.api_url,
            )
            resolver = Resolver(template, context, resolve_parameters(template, overrides))
            self._resolver = resolver
            self.model = read_stack(
                template,
                resolver,
                path.resolve().parent,
                local_environment_overrides(self.api_url, self.settings.webhook_secret),
            )
        except TemplateError as exc:
            raise StartupError(f"{path}: {exc}") from exc
        for note in self.model.notes:
            log.debug("%s", note)
        return template

    def _configure_environment(self) -> None:
        """What Lambda would give every function, then the template's variables. Applied before
        any handler is imported: configuration is read at cold start."""
        assert self.model is not None
        region = self.settings.region
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(name, None)  # never a real account from the developer's shell
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.moto_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": region,
                "AWS_REGION": region,
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        union, conflicts = self.model.environment_union()
        for conflict in conflicts:
            log.warning("environment: %s", conflict)
        union.update(local_environment_overrides(self.api_url, self.settings.webhook_secret))
        os.environ.update(union)
        import boto3

        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        emulation.InProcessCalls(self.moto_url, region).register(boto3.DEFAULT_SESSION)

    def _create_resources(self, template: Mapping[str, Any]) -> None:
        assert self.model is not None and self._resolver is not None
        try:
            with MOTO_LOCK:
                self.created = create_resources(self.model.resources, self._resolver, self.moto_url)
        except Exception as exc:
            raise StartupError(f"creating the template's resources in moto failed: {exc}") from exc

    def _install_clock(self) -> Any:
        try:
            from atelier.bootstrap import set_clock
            from atelier.clock import OffsetClock
        except ImportError as exc:
            raise StartupError(
                f"the atelier package lacks what the local stack needs ({exc}); "
                "expected atelier.bootstrap.set_clock and atelier.clock.OffsetClock"
            ) from exc
        clock = OffsetClock()
        set_clock(clock)
        return clock

    def _stream_delivery(self) -> StreamDelivery:
        """Table streams → the functions subscribed to them, as event source mappings do."""
        assert self.model is not None and self._resolver is not None
        import boto3

        tables = {
            logical_id: str(self._resolver.ref(logical_id))
            for logical_id, kind in self.model.resources.items()
            if kind == "AWS::DynamoDB::Table"
        }
        region = self.settings.region
        with MOTO_LOCK:
            return StreamDelivery(
                self.model.functions,
                tables,
                boto3.client("dynamodb", endpoint_url=self.moto_url, region_name=region),
                boto3.client("dynamodbstreams", endpoint_url=self.moto_url, region_name=region),
                region,
                emulation.Pending(ACCOUNT_ID, region).stream,
            )

    def _bus_delivery(self) -> BusDelivery:
        """The functions' EventBridgeRule events: rules in moto, delivered after each invocation."""
        assert self.model is not None
        import boto3

        region = self.settings.region
        with MOTO_LOCK:
            try:
                return BusDelivery(
                    self.model.functions,
                    boto3.client("events", endpoint_url=self.moto_url, region_name=region),
                    boto3.client("sqs", endpoint_url=self.moto_url, region_name=region),
                    emulation.Pending(ACCOUNT_ID, region).queue,
                )
            except Exception as exc:
                raise StartupError(
                    f"putting the template's bus rules in moto failed: {exc}"
                ) from exc

    def _pay_page(self, gateway: Gateway, clock: Any) -> SandboxPayPage:
        from atelier.adapters.stripe_signature import sign_payload
        from atelier.bootstrap import get_container

        secret = self.settings.webhook_secret
        return SandboxPayPage(
            find_order=lambda session: get_container().orders.find_by_checkout_session(session),
            send_webhook=gateway.handle,
            sign=lambda raw, timestamp: sign_payload(raw, secret, timestamp),
            clock=clock,
            lock=MOTO_LOCK,
        )

    def _seed(self) -> None:
        try:
            with MOTO_LOCK:
                self.seeded = seed_catalog(self.settings.seed_file)
        except (SeedError, ImportError) as exc:
            raise StartupError(f"seeding the catalog failed: {exc}") from exc

    # ------------------------------------------------------------------ the banner

    def banner(self) -> str:
        assert self.model is not None
        api = self.api_url
        tables = [r for r in self.created if r.kind == "AWS::DynamoDB::Table"]
        others = [r for r in self.created if r.kind != "AWS::DynamoDB::Table"]
        routes_by_function: dict[str, int] = {}
        for route in self.model.routes:
            routes_by_function[route.function] = routes_by_function.get(route.function, 0) + 1
        lines = [
            "",
            "Atelier local stack",
            f"  API          {api}",
            f"  Swagger UI   {api}/docs",
            f"  AWS (moto)   {self.moto_url}  (testing/testing, {self.settings.region})",
        ]
        lines += [f"  Table        {r.logical_id}: {r.physical_name}" for r in tables]
        lines += [
            f"  {r.kind.split('::')[1]:<12} {r.logical_id}: {r.physical_name}" for r in others
        ]
        for logical_id, function in self.model.functions.items():
            state = "NOT LOADED, see above" if logical_id in self.load_failures else "loaded"
            schedules = f", {len(function.schedules)} schedule(s)" if function.schedules else ""
            rules = f", {len(function.rules)} bus rule(s)" if function.rules else ""
            lines.append(
                f"  Function     {function.name}: {routes_by_function.get(logical_id, 0)} "
                f"route(s){schedules}{rules}, {state}"
            )
        lines += [
            f"  Shop         {api}/shop/   (built on first visit)",
            f"  Console      {api}/console/",
            f"  Catalog      {len(self.seeded)} products seeded",
            f"  Token        curl -s -X POST {api}/_local/token "
            '-d \'{"sub": "customer-1", "email": "customer@example.com"}\'',
            '               (add "groups": ["staff"] for the staff routes)',
            f"  Control      {api}/_local/clock  {api}/_local/outbox  "
            f"{api}/_local/schedules/<function>/run",
            "",
        ]
        return "\n".join(lines)


def local_parameter_defaults(api_url: str) -> dict[str, str]:
    """Template parameters whose Default names the cloud's or a dev server's origin, set to
    this stack's own: the web apps are served here (/shop/, /console/), so the bucket's CORS
    (the browser's presigned POST) and the payment's return address must name this origin.
    An environment variable of the parameter's name still wins."""
    return {
        "StorefrontOrigin": api_url,
        "CheckoutSuccessUrl": f"{api_url}/shop/orders/{{order_id}}?paid=1",
        "CheckoutCancelUrl": f"{api_url}/shop/orders/{{order_id}}",
    }


def resident_memory_mb() -> float:
    """This process's resident memory (Linux), in MB; 0 where /proc is not there."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s local | %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.DEBUG if os.environ.get("ATELIER_LOCAL_DEBUG") else logging.INFO)


_stop_requested = False


def _request_stop(_signum: int, _frame: FrameType | None) -> None:
    """Only sets a flag: a signal handler that took a lock (threading.Event.set does) could
    deadlock when a second signal arrives while the first is being handled."""
    global _stop_requested
    _stop_requested = True


def _stop_within(stack: LocalStack, seconds: float) -> None:
    """stack.stop(), and if it has not finished in `seconds`, leave anyway: a stop never
    hangs (the saved state is written to a temporary file first, so the old one stays)."""

    def give_up() -> None:
        log.error("the stack did not stop within %.0f s; leaving now", seconds)
        os._exit(1)

    watchdog = threading.Timer(seconds, give_up)
    watchdog.daemon = True
    watchdog.start()
    stack.stop()
    watchdog.cancel()


def main() -> int:
    configure_logging()
    # powertools warns when an API call records no business metric; noise on a console.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    stack: LocalStack | None = None
    try:
        stack = LocalStack(Settings.from_environment(os.environ))
        stack.start()
    except StartupError as exc:
        log.error("the local stack cannot start: %s", exc)
        if stack is not None:
            _stop_within(stack, STOP_DEADLINE_S)
        return 1
    print(stack.banner(), flush=True)
    print(READY_LINE.format(url=stack.api_url), flush=True)
    while not _stop_requested:
        time.sleep(0.1)
    log.info("stopping")
    _stop_within(stack, STOP_DEADLINE_S)
    log.info("stopped")
    return 0
