/** The `api-key-rotator` binary: parses argv, runs the command, sets the exit code. */
import { runProcess } from './main';

// No rotation history: Secrets Manager's API reports no failed step, so commands read the labels.
void runProcess();
