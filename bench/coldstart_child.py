"""Run by bench.coldstart in a fresh interpreter (`python -c <this file's text> <spec>`).

Imports one handler module by file path with its folder first on sys.path and the layer's
content second, as Lambda's Python runtime does, then builds the container attributes its first
invocation builds, and prints how long that took. Only the standard library is imported before
the clock starts.
"""

import time

_started = time.perf_counter()

import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

spec = json.loads(sys.argv[1])
probe = bool(spec.get("probe"))
clients: list[str] = []
if probe:
    # Which AWS clients get built (only in the -X importtime run, which is not timed).
    import botocore.session

    _create = botocore.session.Session.create_client

    def _recording(self, service_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        clients.append(service_name)
        return _create(self, service_name, *args, **kwargs)

    botocore.session.Session.create_client = _recording  # type: ignore[method-assign]

sys.path.insert(0, spec["layer_dir"])
sys.path.insert(0, spec["code_dir"])
module_spec = importlib.util.spec_from_file_location("app", spec["handler_file"])
assert module_spec is not None and module_spec.loader is not None
module = importlib.util.module_from_spec(module_spec)
sys.modules["app"] = module
module_spec.loader.exec_module(module)
assert callable(getattr(module, spec["handler"]))
_imported = time.perf_counter()

if spec["attributes"]:
    from atelier.bootstrap import get_container

    container = get_container()
    for name in spec["attributes"]:
        getattr(container, name)
_ready = time.perf_counter()

result: dict[str, object] = {
    "import_s": _imported - _started,
    "init_s": _ready - _imported,
    "total_s": _ready - _started,
    "modules": len(sys.modules),
}
if probe:
    result["clients"] = clients
    result["atelier_modules"] = sorted(m for m in sys.modules if m.startswith("atelier."))
print("BENCH_RESULT " + json.dumps(result))
