#!/usr/bin/env node
import { main } from "./main";

const code = await main(process.argv.slice(2));
if (code !== null) process.exit(code);
