// Validates an OpenAPI document (the file named on the command line) with
// @apidevtools/swagger-parser: schema and $ref resolution. Exits 1 on error.
import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
try {
  const api = await SwaggerParser.validate(file);
  const paths = Object.keys(api.paths);
  console.log(`valid: ${api.info.title} ${api.info.version}, ${paths.length} paths: ${paths.join(" ")}`);
} catch (error) {
  console.error(`invalid: ${error.message}`);
  process.exit(1);
}
