"""The engine half of the search index, in each database's own full-text engine."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE knowledge_search_fts USING fts5(
        title_terms, question_terms, body_terms,
        content='knowledge_searchentry', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')""",
    """CREATE TRIGGER knowledge_searchentry_ai AFTER INSERT ON knowledge_searchentry BEGIN
        INSERT INTO knowledge_search_fts(rowid, title_terms, question_terms, body_terms)
        VALUES (new.id, new.title_terms, new.question_terms, new.body_terms);
    END""",
    """CREATE TRIGGER knowledge_searchentry_ad AFTER DELETE ON knowledge_searchentry BEGIN
        INSERT INTO knowledge_search_fts(knowledge_search_fts, rowid, title_terms, question_terms, body_terms)
        VALUES ('delete', old.id, old.title_terms, old.question_terms, old.body_terms);
    END""",
    """CREATE TRIGGER knowledge_searchentry_au AFTER UPDATE ON knowledge_searchentry BEGIN
        INSERT INTO knowledge_search_fts(knowledge_search_fts, rowid, title_terms, question_terms, body_terms)
        VALUES ('delete', old.id, old.title_terms, old.question_terms, old.body_terms);
        INSERT INTO knowledge_search_fts(rowid, title_terms, question_terms, body_terms)
        VALUES (new.id, new.title_terms, new.question_terms, new.body_terms);
    END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER knowledge_searchentry_au",
    "DROP TRIGGER knowledge_searchentry_ad",
    "DROP TRIGGER knowledge_searchentry_ai",
    "DROP TABLE knowledge_search_fts",
]
POSTGRES_FORWARD = [
    """ALTER TABLE knowledge_searchentry ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', title_terms), 'A')
            || setweight(to_tsvector('simple', question_terms), 'B')
            || setweight(to_tsvector('simple', body_terms), 'D')
        ) STORED""",
    "CREATE INDEX knowledge_searchentry_vector ON knowledge_searchentry USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX knowledge_searchentry_vector",
    "ALTER TABLE knowledge_searchentry DROP COLUMN search_vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
