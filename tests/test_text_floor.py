"""`text/` is the bottom floor: it imports neither Django nor any app, so it works unconfigured."""

import subprocess
import sys

from .conftest import BASE_DIR


def test_the_text_package_imports_without_django_or_the_apps():
    probe = (
        "import sys\n"
        "import text.dates, text.embeddings, text.entities, text.language, text.pasted_text\n"
        "import text.quantities, text.ranking, text.sentences\n"
        "from text.sentences import split_sentences\n"
        "spans = split_sentences('Dr. Smith came. He left.')\n"
        "assert [s.text for s in spans] == ['Dr. Smith came.', 'He left.'], spans\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "assert not loaded & {'django', 'sources', 'claims', 'partners', 'factcheck'}, loaded\n"
    )
    env = {"PATH": "/usr/bin:/bin"}  # no DJANGO_SETTINGS_MODULE, no DATABASE_URL: nothing configured
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
