import mod from './proxy.bench.ts';
console.log(await mod());
