/* roster_cmd.h - the commands that change live rosters and account owners:
 * `lead-router roster set|remove|ooo|list` and `lead-router owners import`.
 * They read the topics as a router does, validate, then produce to
 * kafka.topics.roster / account_owners. Not pure: Kafka and files. */
#ifndef LR_ROSTER_CMD_H
#define LR_ROSTER_CMD_H

/* argv[0] is the command name; exit codes: 0 ok, 1 refused or failed, 2 usage. */
int lr_cli_roster(int argc, char **argv);
int lr_cli_owners(int argc, char **argv);

#endif
