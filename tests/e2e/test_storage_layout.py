"""A secret's versions live in rows of their own (record_parts), their staging labels in the secret's
document; rows written before either layout (the versions inside the document, or labels in the
version rows) are still read, and move to the new layout on their next write. Databases from before the date indexes get the dates their documents hold, and values
kept apart from their versions (record_values) move into the versions' rows."""
import json
import sqlite3

from conftest import Coffer


def back_to_schema_before(data, migrations, undo=""):
    """Takes the database back `migrations` migrations (the last, a marker of the label layout, changed
    no schema): sealed values apart from their versions' rows (every value in record_values, as before
    the one before it), then `undo` for the ones before that."""
    db = sqlite3.connect(data / "coffer.db")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.execute("INSERT OR REPLACE INTO record_values(arn, version_id, sealed) SELECT arn, key, sealed FROM record_parts WHERE sealed IS NOT NULL")
    db.execute("ALTER TABLE record_parts DROP COLUMN sealed")
    if undo:
        db.executescript(undo)
    db.execute(f"PRAGMA user_version = {version - migrations}")
    db.commit()
    db.close()


def three_versions(node, name, prefix):
    """A secret with the values prefix1 (created), prefix2 and prefix3 (AWSCURRENT)."""
    sm = node.client()
    sm.create_secret(Name=name, SecretString=f"{prefix}1")
    for value in (f"{prefix}2", f"{prefix}3"):
        sm.put_secret_value(SecretId=name, SecretString=value)
    return sm


def reopened(db, binary, data, name, prefix):
    """Commits the rows the test rewrote, starts a node on them and checks that the secret reads as
    `three_versions` left it (prefix3 AWSCURRENT, prefix2 AWSPREVIOUS); the node is the caller's to stop."""
    db.commit()
    db.close()
    node = Coffer(binary, data).start()
    try:
        sm = node.client()
        assert sm.get_secret_value(SecretId=name)["SecretString"] == f"{prefix}3"
        assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == f"{prefix}2"
    except BaseException:
        node.stop()
        raise
    return node, sm


def test_versions_apart_and_documents_from_before(binary, tmp_path):
    data = tmp_path / "data"
    node = Coffer(binary, data).start()
    three_versions(node, "layout", "v")
    node.stop()

    db = sqlite3.connect(data / "coffer.db")
    arn, doc, parted = db.execute("SELECT arn, doc, parted FROM records WHERE kind = 'secret' AND name = 'layout'").fetchone()
    parts = [json.loads(row[0]) for row in db.execute("SELECT doc FROM record_parts WHERE arn = ? ORDER BY rowid", (arn,))]
    head = json.loads(doc)
    assert parted == 2 and head["versions"] == [] and len(parts) == 3
    assert [p["stages"] for p in parts] == [[], [], []]
    assert head["partLabels"] == {parts[1]["versionID"]: ["AWSPREVIOUS"], parts[2]["versionID"]: ["AWSCURRENT"]}
    # Rewrite the row as a build before this layout left it: the versions inside the document, their
    # values apart.
    db.execute("INSERT INTO record_values(arn, version_id, sealed) SELECT arn, key, sealed FROM record_parts WHERE arn = ?", (arn,))
    whole = {k: v for k, v in head.items() if k != "partLabels"}
    whole["versions"] = [dict(p, stages=head["partLabels"].get(p["versionID"], [])) for p in parts]
    db.execute("UPDATE records SET doc = ?, parted = 0 WHERE arn = ?", (json.dumps(whole).encode(), arn))
    db.execute("DELETE FROM record_parts WHERE arn = ?", (arn,))

    node, sm = reopened(db, binary, data, "layout", "v")
    try:
        listed = sm.list_secret_version_ids(SecretId="layout", IncludeDeprecated=True)["Versions"]
        assert len(listed) == 3
        sm.put_secret_value(SecretId="layout", SecretString="v4")
        assert sm.get_secret_value(SecretId="layout", VersionStage="AWSPREVIOUS")["SecretString"] == "v3"
        assert len(sm.list_secret_version_ids(SecretId="layout", IncludeDeprecated=True)["Versions"]) == 4
    finally:
        node.stop()
    db = sqlite3.connect(data / "coffer.db")
    assert db.execute("SELECT parted FROM records WHERE arn = ?", (arn,)).fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM record_parts WHERE arn = ?", (arn,)).fetchone()[0] == 4


def test_labels_from_version_rows_of_before(binary, tmp_path):
    """Rows as the build before left them, each version's labels in its own row (parted = 1): read as
    they are, and on the next write the labels move into the document; the labels the old rows still
    hold are never read again."""
    data = tmp_path / "data"
    node = Coffer(binary, data).start()
    three_versions(node, "relabel", "r")
    node.stop()

    db = sqlite3.connect(data / "coffer.db")
    arn, doc = db.execute("SELECT arn, doc FROM records WHERE name = 'relabel'").fetchone()
    head = json.loads(doc)
    labels = head.pop("partLabels")
    for key, doc in db.execute("SELECT key, doc FROM record_parts WHERE arn = ?", (arn,)).fetchall():
        db.execute("UPDATE record_parts SET doc = ? WHERE arn = ? AND key = ?",
                   (json.dumps(dict(json.loads(doc), stages=labels.get(key, []))).encode(), arn, key))
    db.execute("UPDATE records SET doc = ?, parted = 1 WHERE arn = ?", (json.dumps(head).encode(), arn))

    node, sm = reopened(db, binary, data, "relabel", "r")
    try:
        pending = sm.put_secret_value(SecretId="relabel", SecretString="r4", VersionStages=["AWSPENDING"])["VersionId"]
        current = sm.put_secret_value(SecretId="relabel", SecretString="r5")["VersionId"]
        stages = sm.describe_secret(SecretId="relabel")["VersionIdsToStages"]
        assert stages[current] == ["AWSCURRENT"] and stages[pending] == ["AWSPENDING"]
        assert sorted(stages.values()) == [["AWSCURRENT"], ["AWSPENDING"], ["AWSPREVIOUS"]]
        assert sm.get_secret_value(SecretId="relabel", VersionStage="AWSPREVIOUS")["SecretString"] == "r3"
    finally:
        node.stop()
    # Read again from disk alone: a new process, nothing cached.
    node = Coffer(binary, data).start()
    try:
        sm = node.client()
        assert sm.get_secret_value(SecretId="relabel")["SecretString"] == "r5"
        assert sm.describe_secret(SecretId="relabel")["VersionIdsToStages"] == stages
    finally:
        node.stop()
    db = sqlite3.connect(data / "coffer.db")
    parted, doc = db.execute("SELECT parted, doc FROM records WHERE arn = ?", (arn,)).fetchone()
    assert parted == 2 and json.loads(doc)["partLabels"] == {k: v for k, v in stages.items()}


def test_date_indexes_filled_from_documents_of_before(binary, tmp_path):
    """A database as a build before the last-changed/last-accessed indexes left it (no such columns):
    the migration fills them from the secrets' documents, so listings by those dates are right at once."""
    data = tmp_path / "data"
    node = Coffer(binary, data).start()
    sm = node.client()
    names = [f"dated-{i}" for i in range(6)]
    for name in names:
        sm.create_secret(Name=name, SecretString="v")
    for name in (names[3], names[1]):
        sm.update_secret(SecretId=name, Description="touched")
    sm.get_secret_value(SecretId=names[4])
    node.stop()

    back_to_schema_before(data, 3, """
        DROP INDEX records_changed; DROP INDEX records_accessed;
        ALTER TABLE records DROP COLUMN changed_date; ALTER TABLE records DROP COLUMN accessed_date;
    """)

    node = Coffer(binary, data).start()
    try:
        sm = node.client()
        def listed(**kwargs):
            return [s["Name"] for s in sm.list_secrets(MaxResults=100, **kwargs)["SecretList"] if s["Name"].startswith("dated-")]
        changed = listed(SortBy="last-changed-date")
        assert changed[-2:] == [names[3], names[1]] and sorted(changed) == names
        assert listed(SortBy="last-changed-date", SortOrder="desc") == changed[::-1]
        assert listed(SortBy="last-accessed-date", SortOrder="desc")[0] == names[4]
    finally:
        node.stop()
    db = sqlite3.connect(data / "coffer.db")
    assert db.execute("SELECT count(*) FROM records WHERE kind = 'secret' AND (changed_date IS NULL OR accessed_date IS NULL)").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM records WHERE kind != 'secret' AND changed_date IS NOT NULL").fetchone()[0] == 0


def test_values_from_before_move_into_their_versions_rows(binary, tmp_path):
    """A database whose sealed values are all in record_values (the layout before): the upgrade moves
    each into its version's row, every version still reads, and later writes and pruning go on."""
    data = tmp_path / "data"
    node = Coffer(binary, data).start()
    sm = three_versions(node, "moved", "m")
    ids = {v["VersionId"]: v for v in sm.list_secret_version_ids(SecretId="moved", IncludeDeprecated=True)["Versions"]}
    values = {i: sm.get_secret_value(SecretId="moved", VersionId=i)["SecretString"] for i in ids}
    ssm = node.client("ssm")
    ssm.put_parameter(Name="/moved/p", Value="p1", Type="SecureString")
    node.stop()

    db = sqlite3.connect(data / "coffer.db")
    arn = db.execute("SELECT arn FROM records WHERE name = 'moved'").fetchone()[0]
    assert db.execute("SELECT count(*) FROM record_parts WHERE arn = ? AND sealed IS NOT NULL", (arn,)).fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM record_values WHERE arn = ?", (arn,)).fetchone()[0] == 0
    db.close()
    back_to_schema_before(data, 2)

    node = Coffer(binary, data).start()
    try:
        sm = node.client()
        assert {i: sm.get_secret_value(SecretId="moved", VersionId=i)["SecretString"] for i in ids} == values
        assert node.client("ssm").get_parameter(Name="/moved/p", WithDecryption=True)["Parameter"]["Value"] == "p1"
        for n in range(4, 106):
            sm.put_secret_value(SecretId="moved", SecretString=f"m{n}")
        assert sm.get_secret_value(SecretId="moved")["SecretString"] == "m105"
        assert sm.get_secret_value(SecretId="moved", VersionStage="AWSPREVIOUS")["SecretString"] == "m104"
        kept = sm.list_secret_version_ids(SecretId="moved", IncludeDeprecated=True)["Versions"]
        assert len(kept) == 100
        for v in kept[:3]:
            assert sm.get_secret_value(SecretId="moved", VersionId=v["VersionId"])["SecretString"].startswith("m")
    finally:
        node.stop()
    db = sqlite3.connect(data / "coffer.db")
    assert db.execute("SELECT count(*) FROM record_values WHERE arn = ?", (arn,)).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM record_parts WHERE arn = ?", (arn,)).fetchone()[0] == 100
    assert db.execute("SELECT count(*) FROM record_parts WHERE arn = ? AND sealed IS NULL", (arn,)).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM record_values v JOIN records r ON r.arn = v.arn WHERE r.parted != 0").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM record_values v JOIN records r ON r.arn = v.arn WHERE r.name = '/moved/p'").fetchone()[0] == 1


def test_a_database_from_a_newer_build_is_refused(binary, tmp_path):
    """A build that does not know the database's layout (a later build wrote it) stops at start
    instead of reading what it cannot read, and leaves the file as it was."""
    data = tmp_path / "data"
    node = Coffer(binary, data).start()
    node.client().create_secret(Name="kept", SecretString="v")
    node.stop()
    db = sqlite3.connect(data / "coffer.db")
    known = db.execute("PRAGMA user_version").fetchone()[0]
    db.execute(f"PRAGMA user_version = {known + 1}")
    db.commit()
    db.close()
    try:
        Coffer(binary, data).start()
        raise AssertionError("a database from a newer build was opened")
    except RuntimeError as error:
        assert "written by a newer Coffer" in str(error)
    db = sqlite3.connect(data / "coffer.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == known + 1
    assert db.execute("SELECT count(*) FROM records WHERE name = 'kept'").fetchone()[0] == 1
