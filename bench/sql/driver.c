/* bench/sql/driver.c — a fixed workload for an SQL engine's amalgamation
 * (sqlite3.c, fetched at run time by bench/k1.py; never committed): build
 * tables, index them, and run joins, aggregates and updates.  Prints one
 * line per query, so every run's output can be checked against the native
 * build's. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static int print_row(void *user, int n, char **val, char **col) {
    (void)user;
    (void)col;
    for (int i = 0; i < n; i++) printf("%s%s", i ? "|" : "", val[i] ? val[i] : "NULL");
    printf("\n");
    return 0;
}

static void run(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sql error: %s\n  in: %s\n", err ? err : "?", sql);
        sqlite3_free(err);
        exit(1);
    }
}

int main(int argc, char **argv) {
    int rows = argc > 1 ? atoi(argv[1]) : 20000;
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
    run(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, v REAL)");
    run(db, "CREATE TABLE u(k INTEGER PRIMARY KEY, label TEXT)");
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT INTO t(k, name, v) VALUES(?, ?, ?)", -1, &ins, NULL);
    run(db, "BEGIN");
    unsigned x = 12345;
    char name[32], sql[80];
    for (int i = 0; i < rows; i++) {
        x = x * 1103515245u + 12345u;
        snprintf(name, sizeof name, "n%u", (x >> 8) % 5000);
        sqlite3_bind_int(ins, 1, (int)((x >> 4) % 100));
        sqlite3_bind_text(ins, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(ins, 3, (double)(x % 10000) / 7.0);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    for (int k = 0; k < 100; k++) {
        snprintf(sql, sizeof sql, "INSERT INTO u VALUES(%d, 'label%d')", k, k * 7 % 13);
        run(db, sql);
    }
    run(db, "COMMIT");
    sqlite3_finalize(ins);
    run(db, "CREATE INDEX t_name ON t(name)");
    run(db, "SELECT count(*), sum(k), printf('%.3f', avg(v)) FROM t");
    run(db, "SELECT k, count(*), printf('%.2f', max(v)) FROM t GROUP BY k ORDER BY count(*) DESC, k LIMIT 5");
    run(db, "SELECT u.label, count(*) FROM t JOIN u ON t.k = u.k GROUP BY u.label ORDER BY u.label");
    run(db, "SELECT name, count(*) AS c FROM t GROUP BY name HAVING c > 8 ORDER BY c DESC, name LIMIT 5");
    run(db, "UPDATE t SET v = v * 2 WHERE k % 3 = 0");
    run(db, "DELETE FROM t WHERE k > 90");
    run(db, "SELECT count(*), printf('%.3f', sum(v)) FROM t");
    run(db, "SELECT substr(name, 1, 3) AS p, count(*) FROM t WHERE name LIKE 'n1%' GROUP BY p ORDER BY p LIMIT 5");
    run(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT sum(x * x) FROM c");
    sqlite3_close(db);
    return 0;
}
