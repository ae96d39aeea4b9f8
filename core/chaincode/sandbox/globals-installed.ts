/** Imported for its effect: the globals in place before a module that uses them as it loads. */
import { installGlobals } from './globals';

installGlobals();
