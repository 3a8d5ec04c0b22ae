from __future__ import annotations

import pytest

from nexus_action.report.redact import MASK, ZWSP, contains_secret, neutralise, redact_secrets, sanitize

# Each secret is built at run time from pieces, so this file itself holds no string a scanner flags as a secret.
GHP = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
SECRETS = {
    "github classic": GHP,
    "github oauth": "gho_" + "x" * 36,
    "github user-to-server": "ghu_" + "Y" * 36,
    "github server-to-server": "ghs_" + "z9" * 18,
    "github refresh": "ghr_" + "R" * 40,
    "github fine-grained": "github_pat_" + "11ABCDEFG0" + "a" * 70,
    "aws access key": "AKIA" + "IOSFODNN7EXAMPLE",
    "slack bot token": "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "npm": "npm_" + "a" * 36,
    "pypi": "pypi-AgEIcHlwaS5vcmc" + "C" * 40,
    "jwt": "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_each_token_shape_is_masked_in_running_text(name: str) -> None:
    secret = SECRETS[name]
    out = redact_secrets(f"error: push failed with {secret} (see log)")
    assert secret not in out
    assert MASK in out
    assert out.startswith("error: push failed with ")


def test_private_key_block_is_masked_whole() -> None:
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabcdef\n-----END RSA PRIVATE KEY-----"
    out = redact_secrets(f"key:\n{block}\ndone")
    assert "MIIEpAIBAAKCAQEA" not in out
    assert out.endswith("done")


def test_truncated_private_key_block_is_masked_to_the_end() -> None:
    out = redact_secrets("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA")
    assert "b3BlbnNzaC1rZXktdjEAAAAA" not in out


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
        "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456",
        "https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=xyz",
    ],
)
def test_webhook_urls_keep_their_host_only(url: str) -> None:
    out = redact_secrets(f"posting to {url} failed")
    assert url not in out
    assert "/" + MASK in out
    assert "posting to https://" in out


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("password=hunter22", "password="),
        ("DB_PASSWORD: 'correct horse'", "DB_PASSWORD: "),
        ('"client_secret": "s3cr3t-value"', '"client_secret": '),
        ("export GITHUB_TOKEN=abc123def", "export GITHUB_TOKEN="),
        ("Cookie: session=abcdef123", "Cookie: "),
        ("Authorization: Bearer abcdef.123456", "Authorization: Bearer "),
    ],
)
def test_credential_pairs_keep_the_key_and_mask_the_value(line: str, kept: str) -> None:
    out = redact_secrets(line)
    assert out.startswith(kept)
    # A quoted value keeps its quotes: the mask replaces what is between them.
    assert out.rstrip("'\"").endswith(MASK)


def test_words_that_merely_contain_token_stay_readable() -> None:
    line = "error[E0308]: mismatched types, token_count: 3, expected token `;`"
    assert redact_secrets(line) == line


def test_url_userinfo_password_is_masked() -> None:
    out = redact_secrets("fetching https://bob:pa55word@registry.example.com/pkg")
    assert "pa55word" not in out
    assert "https://bob:" + MASK + "@registry.example.com" in out


def test_known_run_secrets_are_masked_verbatim_longest_first() -> None:
    out = redact_secrets("value=abcd1234efgh and abcd1234", secrets=["abcd1234", "abcd1234efgh"])
    assert "abcd1234" not in out


def test_mentions_and_team_mentions_are_made_inert_but_emails_are_not() -> None:
    out = neutralise("ping @octocat and @org/team, mail me at dev@example.com")
    assert "@octocat" not in out
    assert "@" + ZWSP + "octocat" in out
    assert "@" + ZWSP + "org/team" in out
    assert "dev@example.com" in out


def test_issue_references_are_made_inert() -> None:
    out = neutralise("fixes #123, see org/repo#45 and GH-7; colour #fff stays")
    assert "#123" not in out
    assert "repo#45" not in out
    assert "GH-7" not in out
    assert "#fff" in out


def test_html_comments_and_forged_markers_cannot_end_or_start_state() -> None:
    out = neutralise("--> <!-- nexus:state v1 AAAA --> --!>")
    assert "<!--" not in out
    assert "-->" not in out
    assert "--!>" not in out


def test_control_and_bidi_characters_are_removed_newlines_kept() -> None:
    out = neutralise("a\x00b\x1b[31mc\u202ed\r\ne\tf")
    assert out == "ab[31mcd\ne\tf"


def test_chat_specials_are_inert() -> None:
    out = neutralise("<!channel> <@U123> <#C1>")
    assert "<!channel>" not in out
    assert "<@U123>" not in out


def test_sanitize_redacts_before_neutralising() -> None:
    out = sanitize(f"@admin token={GHP} #1")
    assert GHP not in out
    assert not contains_secret(out)
    assert "@admin" not in out


def test_sanitize_is_idempotent() -> None:
    text = f"@x #1 <!-- {GHP} password=abc123"
    once = sanitize(text)
    assert sanitize(once) == once
