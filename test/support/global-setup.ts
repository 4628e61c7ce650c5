/** Prints the Node version the suite runs on: the product targets Node 24 (Lambda nodejs24.x). */
export default function setup(): void {
  process.stdout.write(`tests run on Node ${process.version} (${process.execPath})\n`);
}
