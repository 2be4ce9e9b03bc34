/* The CDR benchmark's reference client: the database's ceiling for the writer's statements.
 * It sends what zvon's one connection sends, and nothing else: the statement prepared once,
 * then executed with its two text parameters (the CDRs' and the events' JSON arrays) one at a
 * time, each in its own transaction, waiting for each result, over the same protocol (libpq,
 * extended query). psql cannot (PostgreSQL 15's psql has no \bind): it would send the JSON as
 * a literal in the SQL text, which the server must lex as well, and is then slower than zvon.
 *
 *   pgload CONNINFO SQL_FILE PARAMS_FILE [async]
 *
 * PARAMS_FILE: two lines per statement, the $1 and the $2 text. "async" sets
 * synchronous_commit = off for the session. Prints the statements executed; exit 1 on error.
 * Built by cdr_bench.py with cc ... -lpq. */
#define _GNU_SOURCE
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  if (fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
  s[n] = 0;
  fclose(f);
  return s;
}

static int ok(PGresult *r, PGconn *c, const char *what) {
  ExecStatusType s = PQresultStatus(r);
  if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) return 1;
  fprintf(stderr, "pgload: %s: %s", what, PQerrorMessage(c));
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: pgload CONNINFO SQL_FILE PARAMS_FILE [async]\n");
    return 2;
  }
  PGconn *c = PQconnectdb(argv[1]);
  if (PQstatus(c) != CONNECTION_OK) {
    fprintf(stderr, "pgload: %s", PQerrorMessage(c));
    return 1;
  }
  if (argc > 4 && strcmp(argv[4], "async") == 0) {
    PGresult *r = PQexec(c, "SET synchronous_commit = off");
    if (!ok(r, c, "SET")) return 1;
    PQclear(r);
  }
  char *sql = read_file(argv[2]);
  if (!sql) {
    perror(argv[2]);
    return 1;
  }
  PGresult *r = PQprepare(c, "zvon_cdr_write", sql, 0, NULL);
  if (!ok(r, c, "PREPARE")) return 1;
  PQclear(r);
  FILE *f = fopen(argv[3], "rb");
  if (!f) {
    perror(argv[3]);
    return 1;
  }
  char *lines[2] = {NULL, NULL};
  size_t caps[2] = {0, 0};
  long statements = 0;
  for (;;) {
    ssize_t n0 = getline(&lines[0], &caps[0], f);
    if (n0 <= 0) break;
    ssize_t n1 = getline(&lines[1], &caps[1], f);
    if (n1 <= 0) {
      fprintf(stderr, "pgload: odd number of lines\n");
      return 1;
    }
    if (lines[0][n0 - 1] == '\n') lines[0][n0 - 1] = 0;
    if (lines[1][n1 - 1] == '\n') lines[1][n1 - 1] = 0;
    const char *values[2] = {lines[0], lines[1]};
    r = PQexecPrepared(c, "zvon_cdr_write", 2, values, NULL, NULL, 0);
    if (!ok(r, c, "EXECUTE")) return 1;
    PQclear(r);
    ++statements;
  }
  printf("%ld\n", statements);
  PQfinish(c);
  return 0;
}
