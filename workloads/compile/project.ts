/**
 * The C project the compile workload builds: headers, translation units, a main and a Makefile,
 * all derived from a seed (same seed, same bytes), so that every trial builds the same work and
 * nothing is downloaded. Pure: returns the files; writing them into a guest is project-files.ts.
 */
export interface ProjectShape {
  seed: number;
  /** Translation units besides main.c; each is one compiler run (driver, cc1, as). */
  units: number;
  /** Functions per unit: the knob for how long one unit takes to compile. */
  functionsPerUnit: number;
}

export interface Project {
  /** Relative path to file text, directories first implied by the paths. */
  files: Map<string, string>;
  /** Directories to create, relative, parents first. */
  directories: string[];
  /** Objects one build compiles (units + main). */
  objects: number;
}

/** mulberry32: a small, well-known 32-bit generator; the project's only source of variety. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON_H = [
  '#ifndef COMMON_H',
  '#define COMMON_H',
  '#include <stdint.h>',
  '#define ROTL(x, r) (((x) << (r)) | ((x) >> (32 - (r))))',
  '#define TABLE 64',
  '#endif',
].join('\n');

/** Mixing helpers each unit inlines: the work the optimiser does per call site. */
const HELPERS_PER_HEADER = 6;

export function generateProject(shape: ProjectShape): Project {
  const random = generator(shape.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const constant = () => 1 + pick(0xfffff);
  const headerCount = Math.max(1, Math.ceil(shape.units / 4));
  const files = new Map<string, string>([['include/common.h', `${COMMON_H}\n`]]);

  for (let h = 0; h < headerCount; h++) {
    const lines = [`#ifndef MOD_${h}_H`, `#define MOD_${h}_H`, '#include "common.h"'];
    lines.push(`struct mod${h}_state { uint32_t words[TABLE]; uint32_t count; };`);
    for (let k = 0; k < HELPERS_PER_HEADER; k++) {
      lines.push(
        `static inline uint32_t mod${h}_mix${k}(uint32_t x, uint32_t y) {`,
        `  for (int i = 0; i < ${4 + pick(12)}; i++) { x = ROTL(x ^ (y + ${constant()}u), ${1 + pick(31)}) * 0x9e3779b1u; y += x >> ${1 + pick(15)}; }`,
        '  return x ^ y;',
        '}',
      );
    }
    lines.push(`uint32_t mod${h}_step(struct mod${h}_state *s, uint32_t input);`, '#endif');
    files.set(`include/mod${h}.h`, `${lines.join('\n')}\n`);
  }

  const unitHeaders: number[][] = [];
  for (let u = 0; u < shape.units; u++) {
    const headers = [...new Set([u % headerCount, pick(headerCount)])];
    unitHeaders.push(headers);
    const lines = ['#include "common.h"', ...headers.map((h) => `#include "mod${h}.h"`)];
    if (u < headerCount) {
      // The first unit of each header defines the header's one non-inline function.
      lines.push(
        `uint32_t mod${u}_step(struct mod${u}_state *s, uint32_t input) {`,
        `  s->words[s->count % TABLE] ^= mod${u}_mix0(input, s->count);`,
        '  return s->words[s->count++ % TABLE];',
        '}',
      );
    }
    for (let f = 0; f < shape.functionsPerUnit; f++) {
      const h = headers[pick(headers.length)] as number;
      lines.push(
        `static uint32_t u${u}_f${f}(uint32_t seed, uint32_t *table) {`,
        `  uint32_t acc = seed ^ ${constant()}u;`,
        `  for (uint32_t i = 0; i < ${8 + pick(56)}u; i++) {`,
        '    switch ((acc ^ i) & 7u) {',
      );
      for (let c = 0; c < 8; c++) {
        lines.push(
          `    case ${c}: acc = mod${h}_mix${pick(HELPERS_PER_HEADER)}(acc, table[(i + ${c}) % TABLE]) + ${constant()}u; break;`,
        );
      }
      lines.push(
        '    }',
        `    table[i % TABLE] += acc >> ${1 + pick(20)};`,
        '  }',
        f > 0 ? `  return acc + u${u}_f${f - 1}(acc, table);` : '  return acc;',
        '}',
      );
    }
    const state = headers[0] as number;
    lines.push(
      `uint32_t unit${u}_entry(uint32_t seed) {`,
      '  uint32_t table[TABLE];',
      '  for (int i = 0; i < TABLE; i++) table[i] = seed + (uint32_t)i;',
      `  struct mod${state}_state s = { {0}, 0 };`,
      `  return mod${state}_step(&s, u${u}_f${shape.functionsPerUnit - 1}(seed, table));`,
      '}',
    );
    files.set(`src/unit${u}.c`, `${lines.join('\n')}\n`);
  }

  const main = ['#include <stdio.h>', '#include "common.h"'];
  for (let u = 0; u < shape.units; u++) main.push(`uint32_t unit${u}_entry(uint32_t seed);`);
  main.push('int main(void) {', '  uint32_t sum = 0;');
  for (let u = 0; u < shape.units; u++) main.push(`  sum = ROTL(sum, 5) ^ unit${u}_entry(sum + ${u}u);`);
  main.push('  printf("checksum %08x\\n", (unsigned)sum);', '  return 0;', '}');
  files.set('src/main.c', `${main.join('\n')}\n`);

  const objects = ['obj/main.o', ...unitHeaders.map((_, u) => `obj/unit${u}.o`)];
  const make = [
    '# Generated by remus-bench (workloads/compile/project.ts); `make -B` rebuilds every object.',
    'CC ?= cc',
    'CFLAGS ?= -O2',
    `OBJECTS = ${objects.join(' ')}`,
    'program: $(OBJECTS)',
    '\t$(CC) -o $@ $(OBJECTS)',
    'obj/main.o: src/main.c include/common.h',
    '\t$(CC) $(CFLAGS) -Iinclude -c -o $@ src/main.c',
  ];
  unitHeaders.forEach((headers, u) => {
    const deps = ['include/common.h', ...headers.map((h) => `include/mod${h}.h`)];
    make.push(
      `obj/unit${u}.o: src/unit${u}.c ${deps.join(' ')}`,
      `\t$(CC) $(CFLAGS) -Iinclude -c -o $@ src/unit${u}.c`,
    );
  });
  files.set('Makefile', `${make.join('\n')}\n`);

  return { files, directories: ['include', 'src', 'obj'], objects: objects.length };
}
