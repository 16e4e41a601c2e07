"""Publish the web apps to the stack's bucket and CloudFront: `make deploy-web STACK=<name>`.

Reads the stack's outputs, writes each app's runtime `config.json` (the apps fetch
`/<app>/config.json` when they start, so one build serves every stage), builds the apps in
`web/` when their build folders are missing, uploads each build under `<app>/` with its
Content-Type and Cache-Control (hashed assets immutable for a year; everything else, index.html
and config.json first of all, `no-cache`), deletes what the new build no longer has, and
invalidates the paths that are not content-addressed. docs/web-hosting.md says when to run it.

Order matters for people using the apps during a deploy: hashed assets go up first, index.html
and config.json last, so a fresh index.html never names a file that is not there yet; stale
hashed assets are deleted only `--keep-days` (default 7) after the deploy that replaced them,
so a tab opened on the previous release can still load its lazy chunks.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import re
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
APPS = ("console", "shop")
SCOPES = ("openid", "email", "profile")

IMMUTABLE = "public, max-age=31536000, immutable"
STALE_TAG = "atelier-stale-since"
REVALIDATE = "no-cache"
# Vite's content-hashed names: assets/index-B2xK9_aZ.js, assets/logo-4f1c2a9b.svg.
HASHED = re.compile(r"^assets/.+[-.][A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$")
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain",
    ".wasm": "application/wasm",
}

# The stack outputs this script needs (template.yaml, Outputs).
OUTPUT_KEYS = (
    "ApiUrl",
    "WebUrl",
    "WebBucketName",
    "WebDistributionId",
    "UserPoolDomain",
    "ConsoleClientId",
    "ShopClientId",
)


class DeployError(Exception):
    """A reason to stop, said so that the person running the deploy knows what to do."""


@dataclass(frozen=True)
class StackOutputs:
    api_url: str
    web_url: str
    bucket: str
    distribution_id: str
    auth_domain: str
    client_ids: Mapping[str, str]  # by app

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, str]) -> StackOutputs:
        missing = [key for key in OUTPUT_KEYS if not outputs.get(key)]
        if missing:
            raise DeployError(
                f"the stack has no output {', '.join(missing)}: deploy template.yaml with "
                "`sam deploy` first (its web resources and outputs), then run deploy-web"
            )
        return cls(
            api_url=outputs["ApiUrl"].rstrip("/"),
            web_url=outputs["WebUrl"].rstrip("/"),
            bucket=outputs["WebBucketName"],
            distribution_id=outputs["WebDistributionId"],
            auth_domain=outputs["UserPoolDomain"].rstrip("/"),
            client_ids={"console": outputs["ConsoleClientId"], "shop": outputs["ShopClientId"]},
        )


@dataclass(frozen=True)
class Upload:
    key: str
    body: bytes
    content_type: str
    cache_control: str


@dataclass(frozen=True)
class Report:
    uploaded: tuple[str, ...]
    deleted: tuple[str, ...]
    kept: tuple[str, ...]  # stale hashed assets, younger than keep_days
    invalidated: tuple[str, ...]
    invalidation_id: str | None


# ------------------------------------------------------------------ what goes where


def read_stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except Exception as exc:  # botocore's ClientError: the stack does not exist, or no access
        raise DeployError(f"cannot read stack {stack_name!r}: {exc}") from exc
    if not stacks:
        raise DeployError(f"no stack named {stack_name!r}")
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs") or []}


def app_config(app: str, outputs: StackOutputs) -> dict[str, Any]:
    """What `/<app>/config.json` holds, in the shape `web/api/src/auth.ts` reads
    (`AppConfig`): where the API is and how to sign in. Nothing secret: the clients are public
    (PKCE), and everything here is visible in the browser anyway."""
    app_url = f"{outputs.web_url}/{app}/"
    return {
        "apiBaseUrl": outputs.api_url,
        "auth": {
            "kind": "cognito",
            "domain": outputs.auth_domain,
            "clientId": outputs.client_ids[app],
            "redirectUri": app_url,
            "signOutUri": app_url,
            "scopes": list(SCOPES),
        },
    }


def content_type(path: str) -> str:
    suffix = Path(path).suffix.lower()
    kind = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    if kind.startswith(TEXT_TYPES):
        return f"{kind}; charset=utf-8"
    return kind


def cache_control(relative: str) -> str:
    return IMMUTABLE if HASHED.match(relative) else REVALIDATE


def plan_uploads(app: str, dist: Path, config: Mapping[str, Any]) -> list[Upload]:
    """Every file of the build under `<app>/`, hashed assets first; index.html and the
    generated config.json last. A config.json in the build (a local one) is replaced."""
    if not (dist / "index.html").is_file():
        raise DeployError(f"{dist} has no index.html: is it the {app} app's build folder?")
    uploads: list[Upload] = []
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        relative = path.relative_to(dist).as_posix()
        if relative == "config.json":
            continue
        uploads.append(
            Upload(
                key=f"{app}/{relative}",
                body=path.read_bytes(),
                content_type=content_type(relative),
                cache_control=cache_control(relative),
            )
        )
    uploads.append(
        Upload(
            key=f"{app}/config.json",
            body=(json.dumps(config, indent=2) + "\n").encode(),
            content_type=content_type("config.json"),
            cache_control=REVALIDATE,
        )
    )

    def order(upload: Upload) -> tuple[int, str]:
        name = upload.key.split("/", 1)[1]
        last = name in ("index.html", "config.json")
        return (2 if last else 0 if upload.cache_control == IMMUTABLE else 1, upload.key)

    return sorted(uploads, key=order)


# ------------------------------------------------------------------ doing it


def deploy(
    outputs: StackOutputs,
    dists: Mapping[str, Path],
    s3: Any,
    cloudfront: Any,
    *,
    now: datetime | None = None,
    keep_days: int = 7,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
) -> Report:
    now = now or datetime.now(UTC)
    uploads = [
        upload for app in APPS for upload in plan_uploads(app, dists[app], app_config(app, outputs))
    ]
    wanted = {upload.key for upload in uploads}
    existing = set(_keys(s3, outputs.bucket, [f"{app}/" for app in APPS]))

    for upload in uploads:
        log(f"upload s3://{outputs.bucket}/{upload.key} ({upload.cache_control})")
        if not dry_run:
            s3.put_object(
                Bucket=outputs.bucket,
                Key=upload.key,
                Body=upload.body,
                ContentType=upload.content_type,
                CacheControl=upload.cache_control,
            )

    deleted: list[str] = []
    kept: list[str] = []
    for key in sorted(key for key in existing if key not in wanted):
        if HASHED.match(key.split("/", 1)[1]) and not _stale_long_enough(
            s3, outputs.bucket, key, now, keep_days, dry_run
        ):
            kept.append(key)
        else:
            deleted.append(key)
    for batch in _batches(deleted, 1000):
        more = " …" if len(batch) > 5 else ""
        log(f"delete {len(batch)} stale file(s): {', '.join(batch[:5])}{more}")
        if not dry_run:
            answer = s3.delete_objects(
                Bucket=outputs.bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
            if answer.get("Errors"):
                raise DeployError(f"S3 refused to delete: {answer['Errors'][:3]}")

    paths = sorted(f"/{u.key}" for u in uploads if u.cache_control != IMMUTABLE)
    invalidation_id: str | None = None
    log(f"invalidate {len(paths)} path(s) on distribution {outputs.distribution_id}")
    if not dry_run:
        answer = cloudfront.create_invalidation(
            DistributionId=outputs.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": f"deploy-web-{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}",
            },
        )
        invalidation_id = answer["Invalidation"]["Id"]
    for app in APPS:
        log(f"{app}: {outputs.web_url}/{app}/")
    return Report(
        uploaded=tuple(u.key for u in uploads),
        deleted=tuple(deleted),
        kept=tuple(kept),
        invalidated=tuple(paths),
        invalidation_id=invalidation_id,
    )


def _keys(s3: Any, bucket: str, prefixes: Iterable[str]) -> Iterable[str]:
    paginator = s3.get_paginator("list_objects_v2")
    for prefix in prefixes:
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents") or []:
                yield item["Key"]


def _stale_long_enough(
    s3: Any, bucket: str, key: str, now: datetime, keep_days: int, dry_run: bool
) -> bool:
    """Whether a hashed asset the new build no longer has left the live release at least
    `keep_days` ago. The first deploy that finds it stale tags it with that moment (its
    LastModified says when it was uploaded, not when it stopped being used); uploading it
    again, on a rollback, replaces the object and so drops the tag."""
    tags = s3.get_object_tagging(Bucket=bucket, Key=key).get("TagSet") or []
    since = next((tag["Value"] for tag in tags if tag["Key"] == STALE_TAG), None)
    if since is None:
        if not dry_run:
            s3.put_object_tagging(
                Bucket=bucket,
                Key=key,
                Tagging={"TagSet": [{"Key": STALE_TAG, "Value": now.isoformat()}]},
            )
        return keep_days <= 0
    try:
        stale_since = datetime.fromisoformat(since)
    except ValueError:
        return True  # a tag this script did not write: treat the asset as long stale
    return now - stale_since >= timedelta(days=keep_days)


def _batches(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


# ------------------------------------------------------------------ the builds


def default_dist(app: str, web: Path = WEB) -> Path:
    return web / app / "dist"


def ensure_builds(
    given: Mapping[str, Path | None],
    web: Path = WEB,
    run: Callable[[Sequence[str], Path], None] | None = None,
) -> dict[str, Path]:
    """The build folder of each app: the one given, else `web/<app>/dist`, built with
    `npm ci` and `npm run build` in web/ when one is missing."""
    dists = {app: given.get(app) or default_dist(app, web) for app in APPS}
    missing = [app for app, dist in dists.items() if not (dist / "index.html").is_file()]
    explicit = [app for app in missing if given.get(app)]
    if explicit:
        raise DeployError(
            ", ".join(f"--{app}-dist {dists[app]} has no index.html" for app in explicit)
        )
    if not missing:
        return dists
    if not (web / "package.json").is_file():
        raise DeployError(
            f"no build for {', '.join(missing)} and no {web}/package.json to build it from: "
            "pass the build folders with --console-dist and --shop-dist"
        )
    runner = run or _run
    runner(["npm", "ci"], web)
    runner(["npm", "run", "build"], web)
    still = [app for app in missing if not (dists[app] / "index.html").is_file()]
    if still:
        raise DeployError(
            f"`npm run build` in {web} left no index.html in "
            + ", ".join(str(dists[app]) for app in still)
        )
    return dists


def _run(command: Sequence[str], cwd: Path) -> None:
    print(f"$ (cd {cwd} && {' '.join(command)})")
    # A fixed command from this file, no shell.
    result = subprocess.run(list(command), cwd=cwd, check=False)  # noqa: S603
    if result.returncode != 0:
        raise DeployError(f"{' '.join(command)} failed in {cwd} (exit {result.returncode})")


# ------------------------------------------------------------------ command line


def stack_from_samconfig(path: Path = ROOT / "samconfig.toml") -> str | None:
    """The stack name `sam deploy --guided` saved, if any."""
    if not path.is_file():
        return None
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    name = config.get("default", {}).get("deploy", {}).get("parameters", {}).get("stack_name")
    return str(name) if name else None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy_web", description=__doc__)
    parser.add_argument("--stack", help="the stack's name (default: samconfig.toml's)")
    parser.add_argument("--region", help="the stack's region (default: the AWS profile's)")
    parser.add_argument("--console-dist", type=Path, help="the console's build folder")
    parser.add_argument("--shop-dist", type=Path, help="the storefront's build folder")
    parser.add_argument("--keep-days", type=int, default=7, help="keep stale hashed assets")
    parser.add_argument("--dry-run", action="store_true", help="say what would change")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    args = parse_args(argv)
    try:
        stack = args.stack or stack_from_samconfig()
        if not stack:
            raise DeployError("which stack? pass STACK=<name> (or --stack), or sam deploy --guided")
        if session is None:
            import boto3

            session = boto3.Session(region_name=args.region)
        outputs = StackOutputs.from_outputs(
            read_stack_outputs(session.client("cloudformation"), stack)
        )
        dists = ensure_builds({"console": args.console_dist, "shop": args.shop_dist})
        report = deploy(
            outputs,
            dists,
            session.client("s3"),
            session.client("cloudfront"),
            keep_days=args.keep_days,
            dry_run=args.dry_run,
        )
    except DeployError as exc:
        print(f"deploy-web: {exc}", file=sys.stderr)
        return 2
    print(
        f"deploy-web: {len(report.uploaded)} uploaded, {len(report.deleted)} deleted, "
        f"{len(report.kept)} kept for open tabs"
        + (f", invalidation {report.invalidation_id}" if report.invalidation_id else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
