/**
 * `npm start`: the whole story of api-key-rotator in the local world, no AWS account needed.
 *
 *   --config FILE  the config to synthesize and deploy (default config/example.json)
 *   --json         print the story's facts as one JSON line instead of the narration; run it
 *                  as `npm -s start -- --json`, as npm prints its "> script" banner on stdout
 *   --no-color     no colours (also NO_COLOR=1, or when stdout is not a terminal)
 *
 * Exits 0 when every fact of the story holds, 1 when one does not (a failed rotation stops the story
 * there), 2 when the story could not run.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exitUnlessSupportedNode } from '../cli/node-version';
import { describeError } from '../lambda/shared/errors';
import { HumanNarrator, JsonNarrator, type Narrator } from './narrator';
import { RotationFailedError } from './rotation-run';
import { DEFAULT_CONFIG } from './setup';
import { runStory } from './story';
import { colorsFor, RecordingOutput } from './terminal';

const USAGE = `Usage: npm start -- [--config FILE] [--json] [--no-color]
       npm -s start -- --json   (-s keeps npm's own "> script" banner off stdout)

Runs the api-key-rotator story in the local world: the stack synthesized from the config with
cdk synth and deployed with authorization on, a scheduled and a forced Polytomic rotation under a
calling app, a Poelis assisted rotation, the audit, and the facts that must hold. The config needs
one Polytomic secret (revokePolicy on-finish, with a reader role) and one Poelis secret.
  --config FILE  the config to synthesize and deploy (default config/example.json)
  --json         print the story's facts as one JSON line instead of the narration
  --no-color     no colours (also NO_COLOR=1, or when stdout is not a terminal)
Lines wrap at the terminal's width, or at COLUMNS when it is set.
`;

/** The terminal's width, or COLUMNS when set; undefined (no wrapping) for a pipe or a file. */
function narrationWidth(stdout: NodeJS.WriteStream, env: NodeJS.ProcessEnv): number | undefined {
  if (stdout.isTTY && stdout.columns > 0) return stdout.columns;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG },
      json: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const output = new RecordingOutput(process.stdout);
  const narrator: Narrator = values.json
    ? new JsonNarrator(output)
    : new HumanNarrator(
        output,
        colorsFor(output, process.env, values['no-color']),
        narrationWidth(process.stdout, process.env),
      );
  try {
    const summary = await runStory(narrator, output, { configPath: resolve(values.config) });
    narrator.finish(summary);
    return summary.ok ? 0 : 1;
  } catch (error) {
    // Our errors, the SDK's and the simulators' never carry key values.
    const { name, message } = describeError(error);
    // A failed rotation is a fact that does not hold; anything else kept the story from running.
    const failed = error instanceof RotationFailedError;
    if (values.json) output.write(`${JSON.stringify({ ok: false, error: { name, message } })}\n`);
    else {
      const verdict = failed ? 'The story stopped' : 'The story could not run';
      process.stderr.write(`\n${verdict}: ${name}: ${message}\n`);
    }
    return failed ? 1 : 2;
  }
}

exitUnlessSupportedNode('npm start', 2);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${describeError(error).message}\n${USAGE}`);
    process.exitCode = 2;
  },
);
