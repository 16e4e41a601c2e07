"""The local stack: `template.yaml` served on 127.0.0.1 over an in-process moto, no AWS, no Docker.

`python -m infra.local` (what `make run` calls) starts it; see `infra.local.server`.
"""
