"""`make deploy-web` against moto: the stack's outputs in, each app's files and config.json in
the bucket with the right headers, stale files gone (hashed ones after a grace period), and
the non-hashed paths invalidated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import deploy_web
from infra.deploy_web import (
    IMMUTABLE,
    REVALIDATE,
    DeployError,
    StackOutputs,
    deploy,
    ensure_builds,
    main,
)

REGION = "us-east-1"
BUCKET = "atelier-test-web"
OUTPUTS = {
    "ApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
    "WebUrl": "https://d111111abcdef8.cloudfront.net",
    "WebBucketName": BUCKET,
    "UserPoolDomain": "https://atelier-prod-123456789012.auth.us-east-1.amazoncognito.com",
    "ConsoleClientId": "console-client-id",
    "ShopClientId": "shop-client-id",
}
NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        cloudfront = boto3.client("cloudfront", region_name=REGION)
        distribution = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "test",
                "Comment": "web",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "web-bucket",
                            "DomainName": f"{BUCKET}.s3.{REGION}.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "web-bucket",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "MinTTL": 0,
                },
            }
        )["Distribution"]
        yield {"s3": s3, "cloudfront": cloudfront, "distribution_id": distribution["Id"]}


def outputs(aws: dict[str, Any]) -> StackOutputs:
    return StackOutputs.from_outputs({**OUTPUTS, "WebDistributionId": aws["distribution_id"]})


def build(root: Path, app: str, assets: dict[str, str]) -> Path:
    """A Vite-like build: index.html naming its hashed assets, plus a public file."""
    dist = root / app / "dist"
    (dist / "assets").mkdir(parents=True)
    for name, text in assets.items():
        (dist / "assets" / name).write_text(text)
    scripts = "".join(f'<script type="module" src="/{app}/assets/{n}"></script>' for n in assets)
    (dist / "index.html").write_text(f"<!doctype html><title>{app}</title>{scripts}")
    (dist / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (dist / "config.json").write_text('{"auth": {"kind": "local"}}')  # a local one: replaced
    return dist


def head(s3: Any, key: str) -> dict[str, Any]:
    return dict(s3.head_object(Bucket=BUCKET, Key=key))


def keys(s3: Any) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_each_app_gets_its_files_and_a_config_json_from_the_stack(
    aws: dict[str, Any], tmp_path: Path
) -> None:
    dists = {
        "console": build(tmp_path, "console", {"index-B2xK9_aZ.js": "console()"}),
        "shop": build(tmp_path, "shop", {"index-Qw3rTy12.js": "shop()", "app-9f8e7d6c.css": "a{}"}),
    }

    report = deploy(outputs(aws), dists, aws["s3"], aws["cloudfront"], now=NOW, log=lambda _: None)

    s3 = aws["s3"]
    assert keys(s3) == {
        "console/index.html",
        "console/favicon.svg",
        "console/config.json",
        "console/assets/index-B2xK9_aZ.js",
        "shop/index.html",
        "shop/favicon.svg",
        "shop/config.json",
        "shop/assets/index-Qw3rTy12.js",
        "shop/assets/app-9f8e7d6c.css",
    }
    config = json.loads(s3.get_object(Bucket=BUCKET, Key="console/config.json")["Body"].read())
    assert config == {
        "apiBaseUrl": OUTPUTS["ApiUrl"],
        "auth": {
            "kind": "cognito",
            "domain": OUTPUTS["UserPoolDomain"],
            "clientId": "console-client-id",
            "redirectUri": "https://d111111abcdef8.cloudfront.net/console/",
            "signOutUri": "https://d111111abcdef8.cloudfront.net/console/",
            "scopes": ["openid", "email", "profile"],
        },
    }
    shop = json.loads(s3.get_object(Bucket=BUCKET, Key="shop/config.json")["Body"].read())
    assert shop["auth"]["clientId"] == "shop-client-id"
    assert shop["auth"]["redirectUri"] == "https://d111111abcdef8.cloudfront.net/shop/"

    js = head(s3, "console/assets/index-B2xK9_aZ.js")
    assert (js["ContentType"], js["CacheControl"]) == ("text/javascript; charset=utf-8", IMMUTABLE)
    css = head(s3, "shop/assets/app-9f8e7d6c.css")
    assert (css["ContentType"], css["CacheControl"]) == ("text/css; charset=utf-8", IMMUTABLE)
    index = head(s3, "shop/index.html")
    assert (index["ContentType"], index["CacheControl"]) == ("text/html; charset=utf-8", REVALIDATE)
    conf = head(s3, "shop/config.json")
    assert (conf["ContentType"], conf["CacheControl"]) == (
        "application/json; charset=utf-8",
        REVALIDATE,
    )
    assert head(s3, "console/favicon.svg")["CacheControl"] == REVALIDATE  # not hashed

    # Per app, its hashed assets go up first and index.html and config.json last.
    for app in ("console", "shop"):
        order = [k for k in report.uploaded if k.startswith(f"{app}/")]
        assert order[0].startswith(f"{app}/assets/"), order
        assert set(order[-2:]) == {f"{app}/index.html", f"{app}/config.json"}, order


def test_the_paths_that_are_not_hashed_are_invalidated(aws: dict[str, Any], tmp_path: Path) -> None:
    dists = {
        "console": build(tmp_path, "console", {"index-B2xK9_aZ.js": "c"}),
        "shop": build(tmp_path, "shop", {"index-Qw3rTy12.js": "s"}),
    }

    report = deploy(outputs(aws), dists, aws["s3"], aws["cloudfront"], now=NOW, log=lambda _: None)

    assert report.invalidation_id
    invalidation = aws["cloudfront"].get_invalidation(
        DistributionId=aws["distribution_id"], Id=report.invalidation_id
    )["Invalidation"]
    paths = set(invalidation["InvalidationBatch"]["Paths"]["Items"])
    assert {"/console/index.html", "/console/config.json", "/shop/index.html"} <= paths
    assert "/shop/config.json" in paths
    assert not any("/assets/" in path for path in paths), "hashed files never change"


def test_stale_files_go_and_stale_hashed_assets_go_after_the_grace_period(
    aws: dict[str, Any], tmp_path: Path
) -> None:
    s3 = aws["s3"]
    first = {
        "console": build(tmp_path / "1", "console", {"index-OLDOLD11.js": "old"}),
        "shop": build(tmp_path / "1", "shop", {"index-Qw3rTy12.js": "s"}),
    }
    (first["console"] / "old-page.html").write_text("gone next time")
    quiet = {"log": lambda _: None}
    deploy(outputs(aws), first, s3, aws["cloudfront"], now=NOW, **quiet)
    second = {
        "console": build(tmp_path / "2", "console", {"index-NEWNEW22.js": "new"}),
        "shop": first["shop"],
    }

    report = deploy(outputs(aws), second, s3, aws["cloudfront"], now=NOW, **quiet)

    assert "console/old-page.html" in report.deleted
    assert "console/old-page.html" not in keys(s3)
    # An open tab on the first release may still load its chunks.
    assert report.kept == ("console/assets/index-OLDOLD11.js",)
    assert "console/assets/index-OLDOLD11.js" in keys(s3)
    assert "console/assets/index-NEWNEW22.js" in keys(s3)

    later = deploy(
        outputs(aws), second, s3, aws["cloudfront"], now=NOW + timedelta(days=6), **quiet
    )
    assert later.kept == ("console/assets/index-OLDOLD11.js",), "6 days: still kept"

    last = deploy(outputs(aws), second, s3, aws["cloudfront"], now=NOW + timedelta(days=7), **quiet)
    assert last.deleted == ("console/assets/index-OLDOLD11.js",)
    assert "console/assets/index-OLDOLD11.js" not in keys(s3)
    assert "shop/assets/index-Qw3rTy12.js" in keys(s3), "the live release's assets stay"


def test_files_outside_the_apps_are_left_alone(aws: dict[str, Any], tmp_path: Path) -> None:
    s3 = aws["s3"]
    s3.put_object(Bucket=BUCKET, Key="robots.txt", Body=b"User-agent: *")
    s3.put_object(Bucket=BUCKET, Key="consoleX/keep.html", Body=b"not an app")
    dists = {
        "console": build(tmp_path, "console", {"index-B2xK9_aZ.js": "c"}),
        "shop": build(tmp_path, "shop", {"index-Qw3rTy12.js": "s"}),
    }

    deploy(outputs(aws), dists, s3, aws["cloudfront"], now=NOW, log=lambda _: None)

    assert {"robots.txt", "consoleX/keep.html"} <= keys(s3)


def test_a_dry_run_changes_nothing(aws: dict[str, Any], tmp_path: Path) -> None:
    s3 = aws["s3"]
    s3.put_object(Bucket=BUCKET, Key="shop/stale.html", Body=b"x")
    dists = {
        "console": build(tmp_path, "console", {"index-B2xK9_aZ.js": "c"}),
        "shop": build(tmp_path, "shop", {"index-Qw3rTy12.js": "s"}),
    }

    report = deploy(
        outputs(aws), dists, s3, aws["cloudfront"], now=NOW, dry_run=True, log=lambda _: None
    )

    assert keys(s3) == {"shop/stale.html"}
    assert report.deleted == ("shop/stale.html",)
    assert report.invalidation_id is None


def test_main_reads_the_outputs_of_the_named_stack(
    aws: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    outputs_yaml = "\n".join(
        f"  {key}:\n    Value: {value}"
        for key, value in {**OUTPUTS, "WebDistributionId": aws["distribution_id"]}.items()
    )
    cloudformation.create_stack(
        StackName="atelier-test",
        TemplateBody=(
            "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\nOutputs:\n" + outputs_yaml + "\n"
        ),
    )
    console = build(tmp_path, "console", {"index-B2xK9_aZ.js": "c"})
    shop = build(tmp_path, "shop", {"index-Qw3rTy12.js": "s"})

    code = main(
        ["--stack", "atelier-test", "--console-dist", str(console), "--shop-dist", str(shop)],
        session=boto3.Session(region_name=REGION),
    )

    assert code == 0, capsys.readouterr().err
    assert "console/config.json" in keys(aws["s3"])
    assert "invalidation" in capsys.readouterr().out


def test_a_stack_without_the_web_outputs_is_refused_with_what_to_do() -> None:
    partial = {key: value for key, value in OUTPUTS.items() if key != "ShopClientId"}

    with pytest.raises(
        DeployError, match=r"no output WebDistributionId, ShopClientId: .*`sam deploy` first"
    ):
        StackOutputs.from_outputs(partial)


# ------------------------------------------------------------------ the builds


def test_without_web_the_build_folders_must_be_given(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="--console-dist and --shop-dist"):
        ensure_builds({"console": None, "shop": None}, web=tmp_path / "web")


def test_a_given_folder_without_index_html_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    shop = build(tmp_path, "shop", {"index-Qw3rTy12.js": "s"})

    with pytest.raises(DeployError, match=r"--console-dist .*empty has no index\.html"):
        ensure_builds({"console": tmp_path / "empty", "shop": shop}, web=tmp_path / "web")


def test_missing_builds_are_built_with_npm_ci_then_npm_run_build(tmp_path: Path) -> None:
    web = tmp_path / "web"
    web.mkdir()
    (web / "package.json").write_text("{}")
    ran: list[tuple[list[str], Path]] = []

    def fake_npm(command: Any, cwd: Path) -> None:
        ran.append((list(command), cwd))
        if command[-1] == "build":
            for app in deploy_web.APPS:
                build(web, app, {"index-Qw3rTy12.js": app})

    dists = ensure_builds({"console": None, "shop": None}, web=web, run=fake_npm)

    assert ran == [(["npm", "ci"], web), (["npm", "run", "build"], web)]
    assert dists == {"console": web / "console" / "dist", "shop": web / "shop" / "dist"}


def test_existing_builds_are_not_rebuilt(tmp_path: Path) -> None:
    web = tmp_path / "web"
    for app in deploy_web.APPS:
        build(web, app, {"index-Qw3rTy12.js": app})
    (web / "package.json").write_text("{}")

    def no_npm(command: Any, cwd: Path) -> None:
        raise AssertionError(f"ran {command}")

    assert ensure_builds({"console": None, "shop": None}, web=web, run=no_npm)["shop"].is_dir()
