pytest_plugins = [
    "tests.fixtures.db",
    "tests.fixtures.temporal",
    "tests.fixtures.app",
    "tests.fixtures.smtp",
    "tests.fixtures.tasks",
    "tests.fixtures.cases",
]
