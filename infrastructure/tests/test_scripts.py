"""What the deploy's Rust code (ops/src/deploy, tested there) does not hold itself: the
scripts left stay within bash 3.2, the bash of stock macOS; the import's template is stack.yaml's
table; the functions' build keeps the tools' features out; the deploy targets need Python and
Rust alone; the stages' committed files and the Makefile name the same settings as the deploy.

Run by `make test`."""

import json
import os
import pathlib
import re
import stat
import subprocess
import tempfile
import unittest

from infrastructure.tests.test_templates import INFRA, ROOT

SCRIPTS = sorted((ROOT / "dev").glob("*.sh")) + sorted((ROOT / "dev" / "xtask").glob("*.sh")) + [ROOT / ".ci" / "run"]

# Constructs that need bash 4 or later, with what to write instead.
BASH4 = {
    r"\bdeclare\s+-[a-zA-Z]*A": "associative arrays (declare -A)",
    r"\blocal\s+-[a-zA-Z]*A": "associative arrays (local -A)",
    r"\b(mapfile|readarray)\b": "mapfile/readarray",
    r"\$\{[^}]*(,,|\^\^)[^}]*\}": "case conversion (${var,,} / ${var^^})",
    r"\bcoproc\b": "coproc",
    r"\|&": "|& (pipe stderr)",
    r"&>>": "&>> (append both streams)",
    r"\[\[\s+-v\s": "[[ -v name ]]",
    r"\$\{[A-Za-z_][A-Za-z_0-9]*\[-1\]\}": "negative array index",
    r"\bwait\s+-n\b": "wait -n",
    r"\$\{[^}]*@[QEPAa]\}": "${var@op} transformations",
}


class Bash32(unittest.TestCase):
    def test_the_scripts_use_nothing_newer_than_bash_3_2(self):
        self.assertGreaterEqual(len(SCRIPTS), 3, "the scan reads the scripts there are")
        found = []
        for script in SCRIPTS:
            for number, line in enumerate(script.read_text().splitlines(), 1):
                code = line.split("#", 1)[0] if not line.lstrip().startswith("#!") else ""
                for pattern, what in BASH4.items():
                    if re.search(pattern, code):
                        found.append(f"{script.relative_to(ROOT)}:{number}: {what}: {line.strip()}")
        self.assertEqual(found, [])

    def test_the_check_itself_catches_what_it_looks_for(self):
        for sample in ['declare -A OUTPUT', 'mapfile -t lines < f', 'echo "${x,,}"', 'cmd |& tee f']:
            self.assertTrue(any(re.search(p, sample) for p in BASH4), sample)


class ImportTemplate(unittest.TestCase):
    """`make import-table` imports stack.yaml's own table resource, and nothing else."""

    def test_the_import_template_is_stack_yamls_table_and_lints_clean(self):
        from infrastructure.tests.import_template import import_template
        committed = INFRA / "import-table.json"
        template = json.loads(committed.read_text())
        self.assertEqual(template, json.loads(json.dumps(import_template(), default=str)),
                         "infrastructure/import-table.json differs from stack.yaml's table: "
                         "python3 -m infrastructure.tests.import_template > infrastructure/import-table.json")
        self.assertEqual(list(template["Resources"]), ["RecordsTable"])
        self.assertEqual(template["Resources"]["RecordsTable"]["DeletionPolicy"], "Retain")
        # The kept table is described as it is, with the week index or without.
        self.assertEqual(template["Parameters"]["WeekLookup"]["AllowedValues"], ["scan", "index"])
        self.assertIn("UseWeekIndex", template["Conditions"])
        lint = subprocess.run(["python3", "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
                               str(committed)], capture_output=True, text=True)
        self.assertEqual(lint.returncode, 0, lint.stdout + lint.stderr)


class FunctionsBuild(unittest.TestCase):
    """The functions are built as their two packages alone, so that the tools' features stay
    out of them: no aws-lc (the tools' default HTTPS client; the functions' client runs on
    ring) and no test fakes."""

    def test_the_deploy_builds_the_two_packages_alone(self):
        # The Makefile's build: each function as `-p <it> --bin <it>`.
        self.assertIn("--locked -p processor -p reporter --bin processor --bin reporter",
                      (ROOT / "Makefile").read_text())
        # The deploy's own: ops/src/deploy/flow.rs, the_deploy_builds_each_function_as_its_package_alone.

    def test_the_functions_graph_holds_neither_aws_lc_nor_the_fakes(self):
        def tree(*packages):
            run = subprocess.run(
                ["cargo", "tree", "--locked", "-e", "normal,features", "--target", "aarch64-unknown-linux-gnu",
                 *packages], cwd=ROOT, capture_output=True, text=True, timeout=300)
            self.assertEqual(run.returncode, 0, run.stderr)
            return run.stdout
        functions = tree("-p", "processor", "-p", "reporter")
        self.assertIn("ring", functions)
        self.assertNotIn("aws-lc-sys", functions)
        self.assertNotIn('feature "fakes"', functions)
        # The check sees them where they are: the whole workspace has both.
        workspace = tree("--workspace")
        self.assertIn("aws-lc-sys", workspace)
        self.assertIn('feature "fakes"', workspace)


class DeployTools(unittest.TestCase):
    """`make deploy` needs the Python tools only (cargo-lambda and Zig; and its build the arm64
    target), not `make tools`' npm packages, Java or Chromium: macOS with Python and Rust is
    enough. The other deploy targets are commands of cv-analytics, and need Rust alone."""

    RUST_ONLY = {"deploy-stack": "env -u .* cargo run", "deployer-role": "cargo run", "destroy": "cargo run",
                 "import-table": "cargo run", "region": "cargo run"}

    def test_the_deploy_targets_install_the_python_tools_only(self):
        run = subprocess.run(["make", "-n", "--no-print-directory", "deploy", "STAGE=dev", "FUNCTION="],
                             cwd=ROOT, capture_output=True, text=True, check=True)
        commands = [line.strip() for line in run.stdout.splitlines()]
        self.assertIn("dev/tools.sh deploy", commands)
        self.assertNotIn("dev/tools.sh", commands, "deploy runs all of make tools")
        self.assertRegex(commands[-1], r"^env -u .* cargo run .* -p ops --bin cv-analytics -- --stage dev deploy$")
        for target, start in self.RUST_ONLY.items():
            run = subprocess.run(["make", "-n", "--no-print-directory", target, "STAGE=dev"],
                                 cwd=ROOT, capture_output=True, text=True, check=True)
            [command] = run.stdout.splitlines()
            self.assertRegex(command, rf"^{start} .* -p ops --bin cv-analytics -- --stage dev {target}$")

    def test_the_deploy_tools_need_no_npm_java_or_chromium(self):
        with tempfile.TemporaryDirectory() as stand_ins:
            # Each would fail, and leave its name behind, if it were called.
            for tool in ("npm", "node", "java", "chromium", "apt-get", "rustup"):
                path = pathlib.Path(stand_ins) / tool
                path.write_text(f'#!/usr/bin/env bash\necho {tool} >> "{stand_ins}/called.log"\nexit 1\n')
                path.chmod(path.stat().st_mode | stat.S_IXUSR)
            env = {**os.environ, "PATH": f"{stand_ins}:{os.environ['PATH']}"}
            env.pop("CHROMIUM", None)
            run = subprocess.run(["bash", "dev/tools.sh", "deploy"], cwd=ROOT, env=env, capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            self.assertFalse((pathlib.Path(stand_ins) / "called.log").exists(),
                             (pathlib.Path(stand_ins) / "called.log").read_text()
                             if (pathlib.Path(stand_ins) / "called.log").exists() else "")


class StageSettings(unittest.TestCase):
    """Every deploy reads the stage's committed file (infrastructure/stages/<stage>.env; the
    deploy's own tests in ops/src/deploy/settings.rs): the files and the Makefile name the
    settings the deploy reads, and make passes on only those given."""

    def test_the_committed_files_hold_every_setting_and_the_makefile_names_the_same(self):
        code = (ROOT / "ops" / "src" / "deploy" / "settings.rs").read_text()
        listed = code[code.index("STAGE_SETTINGS: [&str; 15] = ["):]
        names = re.findall(r'"([A-Z_]+)"', listed[:listed.index("];")])
        self.assertEqual(len(names), 15)
        for stage in ("dev", "prod"):
            lines = [line for line in (INFRA / "stages" / f"{stage}.env").read_text().splitlines()
                     if line and not line.startswith("#")]
            self.assertEqual([line.split("=", 1)[0] for line in lines], names, stage)
        makefile = (ROOT / "Makefile").read_text()
        listed = re.search(r"^STAGE_SETTINGS := ((?:.*\\\n)*.*)$", makefile, re.M).group(1)
        self.assertEqual(sorted(listed.replace("\\", " ").split()), sorted(names))
        # make passes on the settings given (command line, environment) and removes its own.
        env = {k: v for k, v in os.environ.items() if k not in names}
        run = subprocess.run(["make", "-n", "--no-print-directory", "deploy-stack", "PROCESSOR_TIMEOUT=60"],
                             cwd=ROOT, env={**env, "OWNER": "x"}, capture_output=True, text=True, check=True)
        [line] = [line for line in run.stdout.splitlines() if " deploy-stack" in line]
        removed = re.findall(r"-u (\w+)", line)
        self.assertEqual(sorted(removed + ["OWNER", "PROCESSOR_TIMEOUT"]), sorted(names))


if __name__ == "__main__":
    unittest.main()
