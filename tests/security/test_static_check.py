"""A static file that would stop production's collectstatic (manifest storage) fails `check --deploy`."""
from django.core.checks import run_checks

from config.security.checks import static_references_missing


def test_the_shipped_static_files_all_collect():
    # The vendored Chart.js once ended with a sourceMappingURL to a .map that is not shipped.
    assert static_references_missing() == []


def test_a_reference_to_a_missing_file_fails_the_deploy_check(settings, tmp_path):
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    (vendor / "lib.min.js").write_text("var x = 1;\n//# sourceMappingURL=lib.min.js.map\n")
    (vendor / "ok.css").write_text("a { background: url(ok.png) } b { background: url(data:image/png;base64,AA) }\n")
    (vendor / "ok.png").write_bytes(b"\x89PNG")
    (vendor / "bad.css").write_text("@import 'gone.css';\n")
    settings.STATICFILES_DIRS = [("thirdparty", str(vendor))]

    assert sorted(static_references_missing()) == [("thirdparty/bad.css", "gone.css"),
                                                   ("thirdparty/lib.min.js", "lib.min.js.map")]
    errors = [e for e in run_checks(include_deployment_checks=True) if e.id == "security.E001"]
    assert len(errors) == 2 and "thirdparty/lib.min.js" in errors[1].msg
    assert not [e for e in run_checks() if e.id == "security.E001"]  # a deploy check: `runserver` is not slowed
