# The README's commands. Everything installs into .venv on first use (Python >= 3.11).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SAM_VENV ?= .venv-sam
# sam build needs the Lambda runtime's Python (3.13) on PATH; pyenv provides it here.
PY313 ?= $(shell ls -d $$(pyenv root 2>/dev/null)/versions/3.13*/bin 2>/dev/null | sort -V | tail -n 1)

.PHONY: install run test lint layers format typecheck cfn-lint openapi openapi-check pytest unit \
	integration e2e fuzz load bench soak build validate deploy-web redrive clean web-install \
	web-types web-check web-build web-test browser screenshots

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## Start the local stack (moto + the API on http://127.0.0.1:$${ATELIER_PORT:-3000}).
run: install
	$(PY) -m infra.local

## Everything CI checks: lint, import contracts, types, template, OpenAPI freshness, the web
## apps' generated types, TypeScript and Vitest, all tests (the browser tests included).
test: install lint layers typecheck cfn-lint openapi-check web-check web-test pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## The import contracts in pyproject.toml (docs/architecture.md). No cache: a stale one hides
## a fresh cycle.
layers: install
	$(VENV)/bin/lint-imports --no-cache

API_FUNCTIONS := orders_api staff_api
typecheck: install
	$(VENV)/bin/mypy shared/atelier functions infra bench $(API_FUNCTIONS:%=--exclude functions/%/)
	for f in $(API_FUNCTIONS); do MYPYPATH=functions/$$f $(VENV)/bin/mypy functions/$$f || exit 1; done

cfn-lint: install
	$(VENV)/bin/cfn-lint template.yaml -a cfn_lint_serverless.rules

openapi: install
	$(PY) -m infra.openapi

openapi-check: install
	$(PY) -m infra.openapi --check

pytest: install web-install
	$(PY) -m pytest

## The web apps (web/, docs/web.md): npm packages from the committed lock file, no global
## installs. The local stack builds the apps itself on first visit; web-build does it now.
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web-install: web/node_modules/.package-lock.json

## Regenerate web/api/src/schema.d.ts from shared/atelier/api/openapi.json (after make openapi).
web-types: web-install
	cd web && npm run --silent generate

## The generated types match openapi.json, and TypeScript (strict) finds no error.
web-check: web-install
	cd web && npm run --silent check-types && npm run --silent typecheck

## Component tests (Vitest) where logic lives in the browser: the storefront's range echo.
web-test: web-install
	cd web && npm run --silent test

web-build: install web-install
	$(PY) -m infra.local.webapps

## The screenshots in docs/images (docs/web.md, README), as the browser tests take them.
SCREENS := shop-product-out-of-range shop-order-in-review shop-claim-evidence-verified \
	console-review-queue console-order-in-review console-surcharge-modal console-claim-evidence \
	console-catalog
screenshots: browser
	for s in $(SCREENS); do cp tests/browser/screenshots/$$s.png docs/images/$$s.png || exit 1; done

## The web apps in Chromium (Playwright, Debian's /usr/bin/chromium) against a fresh stack.
browser: install web-install
	$(PY) -m pytest tests/browser -m browser

unit: install
	$(PY) -m pytest -m unit

integration: install
	$(PY) -m pytest -m integration

e2e: install
	$(PY) -m pytest -m e2e

## Schemathesis alone against a fresh local stack (bounded; also part of `make test`).
fuzz: install
	$(PY) -m pytest tests/fuzz -m fuzz -q

## A bounded load run against a fresh local stack (not part of `make test`).
load: install
	$(PY) -m infra.load

## Performance: cold starts, DynamoDB requests and capacity, sweep scaling, warm handler
## overhead, cost per 1,000 orders, deployment size; ends with BUDGET lines (docs/performance.md).
bench: install
	$(PY) -m bench

## A real day of work against a fresh local stack: 2,000 orders over HTTP, latency and memory
## per 500-order window, events and emails against those expected, a timed stop; BUDGET lines
## (docs/local-stack.md). About 14 minutes; ORDERS=500 for a shorter run. Not part of `make test`.
ORDERS ?= 2000
soak: install
	$(PY) -m bench.soak --orders $(ORDERS)

## Build the deployable artifacts with AWS SAM (needs python3.13; see README).
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	touch $@

validate: $(SAM_VENV)/.installed
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} \
		$(SAM_VENV)/bin/sam validate --lint

## sam build, then compile what it built with the runtime's Python: /opt is read-only in
## Lambda, and without .pyc every cold start compiles every module it imports (infra/bytecode.py).
build: $(SAM_VENV)/.installed
	@test -n "$(PY313)" || { echo "python3.13 not found: pyenv install 3.13, or set PY313"; exit 1; }
	SAM_CLI_TELEMETRY=0 PATH="$(PY313):$$PATH" $(SAM_VENV)/bin/sam build
	$(PY313)/python3.13 -m infra.bytecode .aws-sam/build --python 3.13

## Publish the console and the storefront to the stack's bucket and CloudFront, after `sam
## deploy` (docs/web-hosting.md). STACK defaults to samconfig.toml's stack_name; builds web/
## when its dist folders are missing; DEPLOY_WEB_ARGS="--dry-run" says what would change.
STACK ?=
deploy-web: install
	$(PY) -m infra.deploy_web $(if $(STACK),--stack $(STACK)) $(DEPLOY_WEB_ARGS)

## Move a dead-letter queue's messages back to where they are processed (docs/redrive.md):
## QUEUE=notifier|event-relay|evidence-upload, DRY_RUN=1 lists what would move, STACK as for
## deploy-web, REDRIVE_ARGS for the rest (--max N, --from-table, --i-know-this-is-prod).
QUEUE ?=
DRY_RUN ?=
redrive: install
	$(PY) -m infra.redrive $(QUEUE) $(if $(STACK),--stack $(STACK)) $(if $(DRY_RUN),--dry-run) $(REDRIVE_ARGS)

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
