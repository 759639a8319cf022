/** The `api-key-rotator` binary: parses argv, runs the command, sets the exit code. */
import { runProcess } from './main';
import { ExitCode } from './exit-codes';
import { exitUnlessSupportedNode } from './node-version';

exitUnlessSupportedNode('api-key-rotator', ExitCode.Failed);
// No rotation history: Secrets Manager's API reports no failed step, so commands read the labels.
void runProcess();
