"""The web apps' hosting and sign-in, as template.yaml declares them (docs/web-hosting.md).

What must stay true: the bucket is private and readable only by this distribution (origin
access control, `AWS:SourceArn`); the edge function sends app routes to the app and leaves
files alone; every response carries a strict CSP, HSTS, nosniff, no framing and no referrer;
CORS names the web origin, never `*`; each app is a public client (no secret) that may only do
the authorization code grant, to its own path on the web origin; and the API accepts both
apps' tokens as well as the storefront's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.local.cfn import load_template_file

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template_file(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
OUTPUTS: dict[str, dict[str, Any]] = TEMPLATE["Outputs"]
APP_CLIENTS = {"console": "ConsoleClient", "shop": "ShopClient"}
DISTRIBUTION_ORIGIN = {"Fn::Sub": "https://${WebDistribution.DomainName}"}
CUSTOM_ORIGIN = {
    "Fn::If": ["HasWebDomain", {"Fn::Sub": "https://${WebDomainName}"}, {"Ref": "AWS::NoValue"}]
}
# The managed-login domain's prefix, as the UserPoolDomain resource computes it.
AUTH_PREFIX = {
    "Fn::If": [
        "HasAuthDomainPrefix",
        {"Ref": "AuthDomainPrefix"},
        {"Fn::Sub": "atelier-${Stage}-${AWS::AccountId}"},
    ]
}


def props(logical_id: str) -> dict[str, Any]:
    return RESOURCES[logical_id]["Properties"]


def of_type(kind: str) -> list[str]:
    return sorted(name for name, r in RESOURCES.items() if r["Type"] == kind)


def distribution() -> dict[str, Any]:
    (name,) = of_type("AWS::CloudFront::Distribution")
    return props(name)["DistributionConfig"]


def csp() -> dict[str, list[str]]:
    """The Content-Security-Policy, directive -> sources, with the Sub's ${...} left in."""
    config = props("WebSecurityHeadersPolicy")["ResponseHeadersPolicyConfig"]
    header = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    assert header["Override"] is True, "the policy must replace any CSP the origin sends"
    text, variables = header["ContentSecurityPolicy"]["Fn::Sub"]
    assert variables == {"AuthDomain": AUTH_PREFIX}, "connect-src must name the pool's domain"
    directives: dict[str, list[str]] = {}
    for part in text.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


# ------------------------------------------------------------------ the bucket


def test_the_web_bucket_is_private_encrypted_and_owner_enforced() -> None:
    bucket = props("WebBucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    # SSE-S3: origin access control reads it without a KMS key policy for CloudFront.
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert "WebsiteConfiguration" not in bucket, "a website endpoint is public; CloudFront reads"


def test_only_this_distribution_may_read_the_web_bucket() -> None:
    policies = [
        props(name)
        for name in of_type("AWS::S3::BucketPolicy")
        if props(name)["Bucket"] == {"Ref": "WebBucket"}
    ]
    assert len(policies) == 1
    allows = [s for s in policies[0]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1, "one grant: CloudFront's, nothing else"
    (grant,) = allows
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert grant["Action"] == "s3:GetObject", "reads only: no list, no write"
    assert grant["Resource"] == {"Fn::Sub": "${WebBucket.Arn}/*"}
    assert grant["Condition"] == {
        "StringEquals": {
            "AWS:SourceArn": {
                "Fn::Sub": (
                    "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                    ":distribution/${WebDistribution}"
                )
            }
        }
    }


def test_cloudfront_reaches_the_bucket_with_origin_access_control_not_an_identity() -> None:
    (origin,) = distribution()["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["WebBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}, "no legacy OAI"
    assert of_type("AWS::CloudFront::CloudFrontOriginAccessIdentity") == []
    oac = props("WebOriginAccessControl")["OriginAccessControlConfig"]
    assert oac["OriginAccessControlOriginType"] == "s3"
    assert (oac["SigningBehavior"], oac["SigningProtocol"]) == ("always", "sigv4")


def test_every_viewer_request_is_https_routed_and_gets_the_security_headers() -> None:
    config = distribution()
    behaviors = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    for behavior in behaviors:
        assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
        assert behavior["AllowedMethods"] == ["GET", "HEAD"], "a static site takes no writes"
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": "WebSecurityHeadersPolicy"}
        assert behavior["FunctionAssociations"] == [
            {
                "EventType": "viewer-request",
                "FunctionARN": {"Fn::GetAtt": ["WebRouterFunction", "FunctionARN"]},
            }
        ]
    # Error pages would serve index.html for every missing file and hide real errors.
    assert "CustomErrorResponses" not in config


# ------------------------------------------------------------------ the security headers


def test_the_csp_allows_only_this_origin_for_code() -> None:
    directives = csp()
    assert directives["default-src"] == ["'none'"]
    for directive in ("script-src", "style-src", "font-src"):
        assert directives[directive] == ["'self'"], f"{directive}: no inline, eval or CDN"
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "upgrade-insecure-requests" in directives
    loose = {"*", "http:", "https:", "'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"}
    for directive, sources in directives.items():
        assert not loose & set(sources), f"{directive} allows {loose & set(sources)}"
        for source in sources:
            assert not source.startswith("http://"), f"{directive}: {source} is not TLS"


def test_the_csp_lets_the_apps_reach_the_api_sign_in_and_evidence_only() -> None:
    directives = csp()
    region_s3 = "https://*.s3.${AWS::Region}.amazonaws.com"
    assert directives["connect-src"] == [
        "'self'",
        "https://${AuthDomain}.auth.${AWS::Region}.amazoncognito.com",
        "https://*.execute-api.${AWS::Region}.amazonaws.com",
        region_s3,
    ]
    assert directives["img-src"] == ["'self'", "data:", "blob:", region_s3]
    assert directives["media-src"] == ["'self'", "blob:", region_s3]
    # The presigned URLs the evidence store signs must fall under that pattern: virtual-host
    # addressing on the regional endpoint (shared/atelier/adapters/s3.py).
    source = (ROOT / "shared" / "atelier" / "adapters" / "s3.py").read_text(encoding="utf-8")
    assert '"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"' in source


def test_responses_carry_hsts_nosniff_frame_denial_and_no_referrer() -> None:
    config = props("WebSecurityHeadersPolicy")["ResponseHeadersPolicyConfig"]
    headers = config["SecurityHeadersConfig"]
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31_536_000 and hsts["Override"] is True
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"] == {"Override": True, "FrameOption": "DENY"}
    assert headers["ReferrerPolicy"] == {"Override": True, "ReferrerPolicy": "no-referrer"}
    custom = {item["Header"]: item["Value"] for item in config["CustomHeadersConfig"]["Items"]}
    assert custom["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in custom["Permissions-Policy"]


def test_the_csp_fits_cloudfronts_header_limit() -> None:
    config = props("WebSecurityHeadersPolicy")["ResponseHeadersPolicyConfig"]
    text = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    longest = text["Fn::Sub"][0].replace("${AuthDomain}", "x" * 63)
    longest = longest.replace("${AWS::Region}", "ap-southeast-5")
    assert len(" ".join(longest.split())) <= 1783, "CloudFront refuses a longer CSP"


# ------------------------------------------------------------------ the SPA fallback


def run_router(uri: str) -> dict[str, Any]:
    """The CloudFront Function's handler, run by Node on one viewer request."""
    code = props("WebRouterFunction")["FunctionCode"]
    harness = (
        code
        + "\nconst out = handler({request: {uri: process.argv[1], querystring: {}, headers: {}}});"
        + "\nprocess.stdout.write(JSON.stringify(out));\n"
    )
    node = shutil.which("node")
    assert node, "node is needed to run the CloudFront Function"
    result = subprocess.run(  # noqa: S603 - node on a fixed script
        [node, "-e", harness, uri], capture_output=True, text=True, timeout=20, check=True
    )
    return dict(json.loads(result.stdout))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize(
    ("uri", "served"),
    [
        ("/console/", "/console/index.html"),
        ("/console/orders/o-123", "/console/index.html"),
        ("/console/claims/c-1/evidence", "/console/index.html"),
        ("/shop/products/signet-ring", "/shop/index.html"),
        ("/shop/orders", "/shop/index.html"),
        ("/console/assets/index-B2xK9_aZ.js", "/console/assets/index-B2xK9_aZ.js"),
        ("/shop/config.json", "/shop/config.json"),
        ("/shop/favicon.ico", "/shop/favicon.ico"),
        ("/consoleX/orders", "/consoleX/orders"),
        ("/robots.txt", "/robots.txt"),
    ],
)
def test_app_routes_get_the_app_and_files_stay_files(uri: str, served: str) -> None:
    answer = run_router(uri)
    assert "statusCode" not in answer, f"{uri} was answered at the edge: {answer}"
    assert answer["uri"] == served


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize(
    ("uri", "location"), [("/", "/shop/"), ("/console", "/console/"), ("/shop", "/shop/")]
)
def test_the_root_and_bare_app_paths_redirect_into_an_app(uri: str, location: str) -> None:
    answer = run_router(uri)
    assert answer["statusCode"] == 302
    assert answer["headers"]["location"]["value"] == location


def test_the_router_runs_on_the_current_cloudfront_runtime() -> None:
    function = props("WebRouterFunction")
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["AutoPublish"] is True, "an unpublished function serves the old code"


# ------------------------------------------------------------------ CORS


def test_the_api_cors_names_the_web_origin_and_never_a_wildcard() -> None:
    cors = props("HttpApi")["CorsConfiguration"]
    assert cors["AllowOrigins"] == [DISTRIBUTION_ORIGIN, CUSTOM_ORIGIN, {"Ref": "StorefrontOrigin"}]
    assert "*" not in json.dumps(cors["AllowOrigins"])
    assert cors.get("AllowCredentials") in (None, False), "bearer tokens, no cookies"
    assert {h.lower() for h in cors["AllowHeaders"]} == {
        "authorization",
        "content-type",
        "idempotency-key",
    }
    assert set(cors["AllowMethods"]) <= {"GET", "POST", "PUT", "OPTIONS"}
    # The apps honour a 503's Retry-After (shared/atelier/api/errors.py sets it).
    assert cors["ExposeHeaders"] == ["Retry-After"]


def test_the_storefront_origin_parameter_cannot_be_a_wildcard() -> None:
    pattern = TEMPLATE["Parameters"]["StorefrontOrigin"]["AllowedPattern"]
    assert re.fullmatch(pattern, "https://shop.example.com")
    assert re.fullmatch(pattern, "http://localhost:5173")
    for bad in ("*", "https://*.example.com", "https://shop.example.com/path", ""):
        assert not re.fullmatch(pattern, bad), f"StorefrontOrigin accepts {bad!r}"


def test_the_evidence_bucket_accepts_the_browsers_presigned_post_from_the_web_origin() -> None:
    (rule,) = props("EvidenceBucket")["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [
        DISTRIBUTION_ORIGIN,
        CUSTOM_ORIGIN,
        {"Ref": "StorefrontOrigin"},
    ]
    assert rule["AllowedMethods"] == ["POST"], "uploads only; GETs are plain <img>/<video> loads"


# ------------------------------------------------------------------ sign-in


@pytest.mark.parametrize("app", sorted(APP_CLIENTS))
def test_each_app_is_a_public_client_with_the_code_grant_only(app: str) -> None:
    client = props(APP_CLIENTS[app])
    assert client["UserPoolId"] == {"Ref": "UserPool"}
    assert client["GenerateSecret"] is False, "a browser cannot keep a client secret"
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"], "no implicit grant, no client credentials"
    assert client["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert "ALLOW_USER_PASSWORD_AUTH" not in client.get("ExplicitAuthFlows", [])
    assert client["EnableTokenRevocation"] is True
    assert client["RefreshTokenRotation"]["Feature"] == "ENABLED"
    # Cognito: rotation is incompatible with REFRESH_TOKEN_AUTH; the flow must be off.
    assert "ALLOW_REFRESH_TOKEN_AUTH" not in client["ExplicitAuthFlows"]


@pytest.mark.parametrize("app", sorted(APP_CLIENTS))
def test_each_app_redirects_only_to_its_own_path_on_the_web_origin(app: str) -> None:
    client = props(APP_CLIENTS[app])
    expected = [
        {"Fn::Sub": f"https://${{WebDistribution.DomainName}}/{app}/"},
        {
            "Fn::If": [
                "HasWebDomain",
                {"Fn::Sub": f"https://${{WebDomainName}}/{app}/"},
                {"Ref": "AWS::NoValue"},
            ]
        },
    ]
    assert client["CallbackURLs"] == expected
    assert client["LogoutURLs"] == expected


@pytest.mark.parametrize("app", sorted(APP_CLIENTS))
def test_tokens_are_short_lived_and_refresh_is_bounded(app: str) -> None:
    client = props(APP_CLIENTS[app])
    units = client["TokenValidityUnits"]
    assert units == {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "hours"}
    assert client["AccessTokenValidity"] <= 60 and client["IdTokenValidity"] <= 60
    assert client["RefreshTokenValidity"] <= 24 * 7
    if app == "console":
        assert client["RefreshTokenValidity"] <= 12, "a staff session lasts a working day"


def test_the_api_accepts_the_storefront_console_and_shop_tokens() -> None:
    jwt = props("HttpApi")["Auth"]["Authorizers"]["CognitoJwt"]["JwtConfiguration"]
    assert jwt["audience"] == [
        {"Ref": "UserPoolClient"},
        {"Ref": "ConsoleClient"},
        {"Ref": "ShopClient"},
    ]
    assert jwt["issuer"] == {
        "Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
    }


def test_managed_login_has_a_domain_and_a_style_for_each_app() -> None:
    domain = props("UserPoolDomain")
    assert domain["UserPoolId"] == {"Ref": "UserPool"}
    assert domain["Domain"] == AUTH_PREFIX
    assert domain["ManagedLoginVersion"] == 2
    styled = {
        props(name)["ClientId"]["Ref"]
        for name in of_type("AWS::Cognito::ManagedLoginBranding")
        if props(name)["UserPoolId"] == {"Ref": "UserPool"}
    }
    assert styled == set(APP_CLIENTS.values()), "version 2 shows no page to a client without one"
    assert props("UserPool")["UserPoolTier"] in ("ESSENTIALS", "PLUS")


def test_the_staff_group_still_exists_for_the_console() -> None:
    groups = [props(name) for name in of_type("AWS::Cognito::UserPoolGroup")]
    assert {"UserPoolId": {"Ref": "UserPool"}, "GroupName": "staff"}.items() <= groups[0].items()


# ------------------------------------------------------------------ outputs and parameters


def test_the_outputs_deploy_web_reads_exist() -> None:
    from infra.deploy_web import OUTPUT_KEYS

    assert set(OUTPUT_KEYS) <= set(OUTPUTS)
    assert OUTPUTS["ConsoleClientId"]["Value"] == {"Ref": "ConsoleClient"}
    assert OUTPUTS["ShopClientId"]["Value"] == {"Ref": "ShopClient"}
    assert OUTPUTS["UserPoolDomain"]["Value"]["Fn::Sub"] == [
        "https://${AuthDomain}.auth.${AWS::Region}.amazoncognito.com",
        {"AuthDomain": AUTH_PREFIX},
    ]
    assert OUTPUTS["WebUrl"]["Value"] == {
        "Fn::If": [
            "HasWebDomain",
            {"Fn::Sub": "https://${WebDomainName}"},
            {"Fn::Sub": "https://${WebDistribution.DomainName}"},
        ]
    }


def test_a_custom_domain_needs_its_certificate() -> None:
    conditions = TEMPLATE["Conditions"]
    assert conditions["HasWebDomain"] == {
        "Fn::And": [
            {"Fn::Not": [{"Fn::Equals": [{"Ref": "WebDomainName"}, ""]}]},
            {"Fn::Not": [{"Fn::Equals": [{"Ref": "WebCertificateArn"}, ""]}]},
        ]
    }
    (rule,) = TEMPLATE["Rules"].values()
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "WebCertificateArn"}, ""]}]
    }
    certificate = distribution()["ViewerCertificate"]["Fn::If"]
    assert certificate[0] == "HasWebDomain"
    assert certificate[1]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert certificate[1]["SslSupportMethod"] == "sni-only"
