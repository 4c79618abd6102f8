import type { Command } from '../command.js';
import { discover } from './discover.js';
import { doctorCommand } from './doctor.js';
import { observe } from './observe.js';
import { ping } from './ping.js';
import { start } from './start.js';
import { whoami } from './whoami.js';

/**
 * Every sub-command, in the order `kindred --help` lists them. Add a command by adding its module here.
 */
export const COMMANDS: readonly Command[] = [whoami, discover, doctorCommand, start, ping, observe];
