/* `fovea train --resume`: the run's flags kept in each checkpoint, and a resume held to them (cli_resume.c). */
#ifndef FV_CLI_RESUME_H
#define FV_CLI_RESUME_H

#include "args.h"
#include "fovea.h"

/* The flags of a run that decide its result ("lr=0.002\nbatch=64\n..."), for fv_trainer_set_settings; malloc'd,
 * NULL when out of memory. */
char *cli_run_settings(const fv_cli_cmd *cmd, const fv_cli_args *a);

/* With --resume FILE: each setting flag given on this command line must equal the checkpoint's, else the exit
 * status 2 after a line naming the flag, the stored and the given values; a flag left out takes the stored value
 * (*a is then parsed again with it). *done receives the checkpoint's epochs completed (-1 when unknown). 0 to go
 * on; a checkpoint that cannot be read is left to the resume itself to report. */
int cli_resume_settings(fv_ctx *ctx, const fv_cli_cmd *cmd, int argc, char **argv, fv_cli_args **a, int64_t *done);

#endif
