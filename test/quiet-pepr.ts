/**
 * Imported first by specs that load Pepr capabilities: Pepr logs every binding it registers and
 * every request it handles at info, as JSON on stdout, which would fill the test output. Silent
 * unless LOG_LEVEL asks otherwise (as LOG_LEVEL sets Pepr's level in the controller pod).
 */
import { Log } from "pepr";

Log.level = process.env["LOG_LEVEL"] ?? "silent";
