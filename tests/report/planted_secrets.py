"""A seeded generator of secrets, one per family, each with the text a log would show it in.

Independent of the pattern file on purpose: the shapes come from the providers' documented formats, and every
secret is random, so no fixed string in this file is itself a secret. `Planted.secret` is the part that must
never leave (for a webhook URL, its path; for `Authorization: Bearer X`, X); `Planted.text` is the log text.
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
WORDS = ("correct", "horse", "battery", "staple", "orbit", "lantern", "meadow", "quartz", "violet", "harbor")


@dataclass(frozen=True)
class Planted:
    family: str
    text: str  # the log text (may span lines)
    secret: str  # what must never be published, whole or in 12-character pieces
    announce: str = ""  # a log line that announces the secret with ::add-mask::, planted after the blocker
    configured: str = ""  # a value configured as the run's token


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _token(prefix: str, alphabet: str, n: int) -> Callable[[random.Random], tuple[str, str]]:
    def make(rng: random.Random) -> tuple[str, str]:
        secret = prefix + _r(rng, alphabet, n)
        return f"using credential {secret} for upload", secret

    return make


def _in(template: str, make: Callable[[random.Random], str]) -> Callable[[random.Random], tuple[str, str]]:
    def build(rng: random.Random) -> tuple[str, str]:
        secret = make(rng)
        return template.format(s=secret), secret

    return build


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _pem(rng: random.Random) -> tuple[str, str]:
    body = [_r(rng, B64, 64) for _ in range(4)]
    block = "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----"])
    return block, "\n".join(body)


def _openssh(rng: random.Random) -> tuple[str, str]:
    body = [_r(rng, B64, 70) for _ in range(3)]
    block = "\n".join(["-----BEGIN OPENSSH PRIVATE KEY-----", *body, "-----END OPENSSH PRIVATE KEY-----"])
    return block, "\n".join(body)


def _jwt(rng: random.Random) -> str:
    payload = base64.urlsafe_b64encode(f'{{"sub":"{_r(rng, ALNUM, 12)}","n":1}}'.encode()).decode().rstrip("=")
    return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + payload + "." + _r(rng, URLSAFE, 43)


def _words(rng: random.Random) -> str:
    return " ".join(rng.sample(WORDS, 4)) + _r(rng, string.digits, 3)


GENERATORS: dict[str, Callable[[random.Random], tuple[str, str]]] = {
    "github-classic-pat": _token("ghp_", ALNUM, 36),
    "github-oauth": _token("gho_", ALNUM, 36),
    "github-user-to-server": _token("ghu_", ALNUM, 36),
    "github-server-to-server": _token("ghs_", ALNUM, 36),
    "github-refresh": _token("ghr_", ALNUM, 76),
    "github-fine-grained-pat": _in(
        "token {s}_ rejected", lambda r: f"github_pat_11{_r(r, UPPER_DIGITS, 20)}_{_r(r, ALNUM, 59)}"
    ),
    "github-token-then-underscore": _in("push with {s}_retry failed", lambda r: "ghp_" + _r(r, ALNUM, 36)),
    "gitlab-pat": _token("glpat-", URLSAFE, 20),
    "gitlab-runner": _token("glrt-", URLSAFE, 24),
    "gitlab-deploy": _token("gldt-", URLSAFE, 24),
    "aws-access-key-id": _token("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    "aws-secret-assignment": _in("aws_secret_access_key = {s}", lambda r: _r(r, B64, 40)),
    "aws-secret-bare-in-context": _in("aws configure set aws_secret_access_key {s}", lambda r: _r(r, B64, 40)),
    "slack-bot": _in(
        "slack said {s}", lambda r: f"xoxb-{_r(r, string.digits, 12)}-{_r(r, string.digits, 13)}-{_r(r, ALNUM, 24)}"
    ),
    "slack-user": _in(
        "slack said {s}", lambda r: f"xoxp-{_r(r, string.digits, 12)}-{_r(r, string.digits, 13)}-{_r(r, HEX, 32)}"
    ),
    "slack-app": _in(
        "socket {s}", lambda r: f"xapp-1-{_r(r, UPPER_DIGITS, 11)}-{_r(r, string.digits, 13)}-{_r(r, HEX, 64)}"
    ),
    "slack-webhook": _in(
        "POST https://hooks.slack.com/services/{s} 404",
        lambda r: f"T{_r(r, UPPER_DIGITS, 10)}/B{_r(r, UPPER_DIGITS, 10)}/{_r(r, ALNUM, 24)}",
    ),
    "discord-webhook": _in(
        "POST https://discord.com/api/webhooks/{s}", lambda r: f"{_r(r, string.digits, 19)}/{_r(r, URLSAFE, 68)}"
    ),
    "discord-webhook-ptb": _in(
        "POST https://ptb.discord.com/api/webhooks/{s}", lambda r: f"{_r(r, string.digits, 19)}/{_r(r, URLSAFE, 68)}"
    ),
    "discord-webhook-canary": _in(
        "POST https://canary.discord.com/api/v10/webhooks/{s}",
        lambda r: f"{_r(r, string.digits, 19)}/{_r(r, URLSAFE, 68)}",
    ),
    "teams-webhook": _in(
        "POST https://contoso.webhook.office.com/webhookb2/{s}",
        lambda r: f"{_r(r, HEX, 32)}@{_r(r, HEX, 32)}/IncomingWebhook/{_r(r, HEX, 32)}",
    ),
    "npm": _token("npm_", ALNUM, 36),
    "pypi": _token("pypi-AgEIcHlwaS5vcmc", URLSAFE, 70),
    "openai-project": _token("sk-proj-", URLSAFE, 74),
    "openai-legacy": _in("OpenAI said {s}", lambda r: f"sk-{_r(r, ALNUM, 20)}T3BlbkFJ{_r(r, ALNUM, 20)}"),
    "anthropic": _token("sk-ant-api03-", URLSAFE, 93),
    "sendgrid": _in("mail via {s}", lambda r: f"SG.{_r(r, URLSAFE, 22)}.{_r(r, URLSAFE, 43)}"),
    "twilio-api-key": _token("SK", HEX, 32),
    "twilio-auth-token": _in("TWILIO_AUTH_TOKEN: {s}", lambda r: _r(r, HEX, 32)),
    "azure-storage-account-key": _in(
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={s};EndpointSuffix=core.windows.net",
        lambda r: _r(r, B64, 86) + "==",
    ),
    "azure-sas-signature": _in(
        "GET https://acct.blob.core.windows.net/c/b.zip?sv=2022-11-02&se=2030-01-01&sp=r&sig={s} 403",
        lambda r: quote(_r(r, B64, 43) + "=", safe=""),
    ),
    "stripe-secret": _token("sk_live_", ALNUM, 99),
    "stripe-webhook-secret": _token("whsec_", ALNUM, 32),
    "google-api-key": _token("AIza", URLSAFE, 35),
    "google-oauth-secret": _token("GOCSPX-", URLSAFE, 28),
    "google-access-token": _token("ya29.", URLSAFE, 120),
    "jwt": _in("bearer was {s}", _jwt),
    "private-key-rsa": _pem,
    "private-key-openssh": _openssh,
    "env-multi-word-password": _in("DB_PASSWORD={s}", _words),
    "yaml-quoted-password": _in('  password: "{s}"', _words),
    "json-client-secret": _in('{{"client_id": "app", "client_secret": "{s}"}}', lambda r: _r(r, URLSAFE, 40)),
    "dotenv-api-key": _in("API_KEY='{s}'", lambda r: _r(r, ALNUM, 32)),
    "cli-password-flag": _in("deploy --password {s} --verbose", lambda r: _r(r, ALNUM + "!#%", 18)),
    "sshpass": _in("sshpass -p {s} ssh deploy@host", lambda r: _r(r, ALNUM, 16)),
    "mysql-password": _in("mysql -uroot -p{s} app < dump.sql", lambda r: _r(r, ALNUM, 16)),
    "url-password-with-slash-and-at": _in(
        "fatal: unable to access 'https://deploy:{s}@git.example.com/o/r.git/'",
        lambda r: f"{_r(r, ALNUM, 8)}/{_r(r, ALNUM, 6)}@{_r(r, ALNUM, 8)}",
    ),
    "url-token-as-user": _in("git clone https://{s}@github.com/o/r.git", lambda r: _r(r, HEX, 40)),
    "authorization-curl-verbose": _in("> Authorization: Bearer {s}", lambda r: _r(r, URLSAFE, 48)),
    "authorization-json": _in(
        '{{"headers": {{"Authorization": "Bearer {s}", "Accept": "*/*"}}}}', lambda r: _r(r, URLSAFE, 48)
    ),
    "authorization-js-object": _in(
        "headers: {{ authorization: 'token {s}', accept: 'json' }}", lambda r: _r(r, ALNUM, 40)
    ),
    "authorization-basic": _in("-H 'Authorization: Basic {s}'", lambda r: _b64(f"ci:{_r(r, ALNUM, 20)}")),
    "cookie-header": _in("Cookie: session={s}; theme=dark", lambda r: _r(r, ALNUM, 40)),
    "docker-auth-base64": _in(
        '{{"auths": {{"ghcr.io": {{"auth": "{s}"}}}}}}', lambda r: _b64(f"bot:{_r(r, ALNUM, 30)}")
    ),
    "base64-wrapped-token": _in("echo {s} | base64 -d > token", lambda r: _b64("ghp_" + _r(r, ALNUM, 36))),
    "vault-token": _token("hvs.", URLSAFE, 90),
    "digitalocean": _token("dop_v1_", HEX, 64),
    "databricks": _token("dapi", HEX, 32),
    "huggingface": _token("hf_", string.ascii_letters, 34),
    "shopify": _token("shpat_", HEX, 32),
    "sentry-org-token": _token("sntrys_eyJ", URLSAFE + "+/", 80),
    "grafana-service-account": _in("grafana {s}", lambda r: f"glsa_{_r(r, ALNUM, 32)}_{_r(r, HEX, 8)}"),
    "docker-hub-pat": _token("dckr_pat_", URLSAFE, 27),
    "telegram-bot": _in("bot {s} unauthorized", lambda r: f"{_r(r, string.digits, 10)}:AA{_r(r, URLSAFE, 33)}"),
    "mailgun": _token("key-", HEX, 32),
    "age-secret-key": _in("age {s}", lambda r: "AGE-SECRET-KEY-1" + _r(r, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)),
    "netrc": _in("machine github.com login bot password {s}", lambda r: _r(r, ALNUM, 24)),
    "curl-user": _in("curl -u deploy:{s} https://api.example.com", lambda r: _r(r, ALNUM, 20)),
    "url-query-access-token": _in(
        "GET https://api.example.com/v1/items?access_token={s}&page=2", lambda r: _r(r, ALNUM, 32)
    ),
}


def plant_all(seed: int) -> list[Planted]:
    """One secret per family, plus a value announced with ::add-mask:: and a configured token (no shape)."""
    rng = random.Random(seed)
    out = []
    for family, make in GENERATORS.items():
        text, secret = make(rng)
        out.append(Planted(family, text, secret))
    announced = _r(rng, ALNUM, 20)
    out.append(Planted("add-mask-announced", f"connecting with {announced} now", announced, announce=announced))
    configured = _r(rng, ALNUM, 30)
    out.append(
        Planted(
            "configured-token-and-encodings",
            f"auth {configured} b64 {_b64('x-access-token:' + configured)} url {quote(configured)}",
            configured,
            configured=configured,
        )
    )
    return out
