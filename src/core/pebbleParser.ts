/**
 * A port of Pebble 4.1.2's parser (ParserImpl, ExpressionParser and the tags Kestra keeps: block,
 * filter, for, if, macro, set) that builds just enough of the tree to know every call of the
 * function `secret` and its arguments, and fails where Pebble fails, with Pebble's message.
 * Filters and tests named `secret`, macro definitions and bean methods are not function calls.
 */
import { BINARY_OPERATORS, Lexer, PebbleError, UNARY_OPERATORS } from './pebbleLexer';
import type { Token, TokenType } from './pebbleLexer';

/** What a parsed expression is, as far as argument binding needs to know. */
export interface ExpressionNode {
  /** Pebble's node class (simple name). */
  cls: string;
  /** Offsets of the expression's first and last token. */
  start: number;
  end: number;
  /** For a string literal: the token it came from. */
  stringToken?: Token;
  /** For a boolean literal. */
  bool?: boolean;
  /** For a double-quoted string with `#{…}` parts. */
  interpolated?: boolean;
  /** For a function name waiting for its arguments. */
  functionName?: string;
}

export interface ParsedArgument {
  /** Set for a named argument. */
  name?: string;
  value: ExpressionNode;
}

export interface ParsedCall {
  /** Offset of the function name. */
  start: number;
  /** After the closing parenthesis. */
  end: number;
  /** Pebble's line of the call (the line of its `(`). */
  line: number;
  positional: ExpressionNode[];
  named: ParsedArgument[];
}

const RESERVED_KEYWORDS = new Set(['true', 'false', 'null', 'none']);
const EXPRESSION_PACKAGE = 'io.pebbletemplates.pebble.node.expression.';
const NAME_NODE = 'io.pebbletemplates.pebble.node.FunctionOrMacroNameNode';

class TokenStream {
  current = 0;
  constructor(readonly tokens: Token[]) {}

  get(index: number): Token {
    const token = this.tokens[index];
    if (token === undefined) {
      const last = this.tokens[this.tokens.length - 1];
      throw new PebbleError(
        'IndexOutOfBoundsException',
        `Index ${index} out of bounds for length ${this.tokens.length}`,
        undefined,
        last.start,
        last.end,
      );
    }
    return token;
  }

  now(): Token {
    return this.get(this.current);
  }

  next(): Token {
    this.current++;
    return this.get(this.current);
  }

  peek(n = 1): Token {
    return this.get(this.current + n);
  }

  expect(type: TokenType, value?: string): Token {
    const token = this.now();
    if (token.type !== type || (value !== undefined && token.value !== value)) {
      throw parserError(`Unexpected token of value "${token.value}" and type ${token.type}, expected token of type ${type}`, token);
    }
    this.next();
    return token;
  }
}

function test(token: Token, type: TokenType, ...values: string[]): boolean {
  return token.type === type && (values.length === 0 || values.includes(token.value ?? ''));
}

function parserError(message: string, token: Token, at: { start: number; end: number } = token): PebbleError {
  return new PebbleError('ParserException', message, token.line, at.start, at.end);
}

export interface ParseResult {
  calls: ParsedCall[];
}

/** Parses `text` (already through Kestra's raw pre-pass) as Pebble does; throws a PebbleError where Pebble fails. */
export function parseTemplate(text: string): ParseResult {
  const lexer = new Lexer(text);
  const tokens = lexer.tokenize();
  const parser = new Parser(new TokenStream(tokens), lexer);
  parser.parseBody(undefined);
  parser.checkMacros();
  return { calls: parser.calls };
}

type StopCondition = (token: Token) => boolean;

class Parser {
  readonly calls: ParsedCall[] = [];
  private readonly macros: { name: string; token: Token }[] = [];

  constructor(
    private readonly stream: TokenStream,
    private readonly lexer: Lexer,
  ) {}

  /** Where to point when the template ends inside a tag: the tag's opening delimiter. */
  private endError(message: string, token: Token, opener: Token): PebbleError {
    return parserError(message, token, token.type === 'EOF' ? opener : token);
  }

  parseBody(stop: StopCondition | undefined): void {
    const stream = this.stream;
    while (stream.now().type !== 'EOF') {
      const token = stream.now();
      switch (token.type) {
        case 'TEXT':
          stream.next();
          break;
        case 'PRINT_START': {
          stream.next();
          this.parseExpression(0);
          const end = stream.now();
          if (end.type === 'EOF')
            throw this.endError(`Unexpected token of value "null" and type EOF, expected token of type PRINT_END`, end, token);
          stream.expect('PRINT_END');
          break;
        }
        case 'EXECUTE_START': {
          stream.next();
          const name = stream.now();
          if (name.type !== 'NAME') throw parserError('A block must start with a tag name.', name, name.type === 'EOF' ? token : name);
          if (stop && stop(name)) return;
          this.parseTag(name, token);
          break;
        }
        default:
          throw parserError('Parser ended in undefined state.', token);
      }
    }
  }

  private parseTag(name: Token, opener: Token): void {
    switch (name.value) {
      case 'block':
        return this.parseBlock(name, opener);
      case 'filter':
        return this.parseFilterTag(opener);
      case 'for':
        return this.parseFor(opener);
      case 'if':
        return this.parseIf(opener);
      case 'macro':
        return this.parseMacro(opener);
      case 'set':
        return this.parseSet(opener);
      default:
        throw parserError(`Unexpected tag name "${name.value}"`, name);
    }
  }

  private expectExecuteEnd(opener: Token): void {
    const token = this.stream.now();
    if (token.type === 'EOF')
      throw this.endError('Unexpected token of value "null" and type EOF, expected token of type EXECUTE_END', token, opener);
    this.stream.expect('EXECUTE_END');
  }

  private parseBlock(tag: Token, opener: Token): void {
    const stream = this.stream;
    const blockName = stream.next();
    if (!test(blockName, 'NAME') && !test(blockName, 'STRING')) stream.expect('NAME');
    stream.next();
    this.expectExecuteEnd(opener);
    this.parseBody((token) => test(token, 'NAME', 'endblock'));
    if (!test(stream.now(), 'NAME', 'endblock')) {
      throw new PebbleError(
        'ParserException',
        'endblock tag should be present with block tag starting line number ',
        tag.line,
        opener.start,
        tag.end,
      );
    }
    stream.next();
    const current = stream.now();
    if ((test(current, 'NAME') || test(current, 'STRING')) && current.value === blockName.value) stream.next();
    this.expectExecuteEnd(opener);
  }

  private parseFilterTag(opener: Token): void {
    const stream = this.stream;
    stream.next();
    this.parseFilterInvocation();
    while (test(stream.now(), 'OPERATOR', '|')) {
      stream.next();
      this.parseFilterInvocation();
    }
    this.expectExecuteEnd(opener);
    this.parseBody((token) => test(token, 'NAME', 'endfilter'));
    stream.next();
    stream.expect('EXECUTE_END');
  }

  private parseFor(opener: Token): void {
    const stream = this.stream;
    stream.next();
    this.parseNewVariableName();
    stream.expect('NAME', 'in');
    this.parseExpression(0);
    this.expectExecuteEnd(opener);
    this.parseBody((token) => test(token, 'NAME', 'else', 'endfor'));
    if (test(stream.now(), 'NAME', 'else')) {
      stream.next();
      stream.expect('EXECUTE_END');
      this.parseBody((token) => test(token, 'NAME', 'endfor'));
    }
    if (stream.now().value === null) {
      throw this.endError('Unexpected end of template. Pebble was looking for the "endfor" tag', stream.now(), opener);
    }
    stream.next();
    stream.expect('EXECUTE_END');
  }

  private parseIf(opener: Token): void {
    const stream = this.stream;
    const decideFork: StopCondition = (token) => test(token, 'NAME', 'elseif', 'else', 'endif');
    stream.next();
    this.parseExpression(0);
    this.expectExecuteEnd(opener);
    this.parseBody(decideFork);
    for (;;) {
      const current = stream.now();
      if (current.value === null)
        throw this.endError('Unexpected end of template. Pebble was looking for the "endif" tag', current, opener);
      if (current.value === 'else') {
        stream.next();
        stream.expect('EXECUTE_END');
        this.parseBody((token) => test(token, 'NAME', 'endif'));
      } else if (current.value === 'elseif') {
        stream.next();
        this.parseExpression(0);
        stream.expect('EXECUTE_END');
        this.parseBody(decideFork);
      } else if (current.value === 'endif') {
        stream.next();
        break;
      } else {
        throw parserError('Unexpected end of template. Pebble was looking for the following tags "else", "elseif", or "endif"', current);
      }
    }
    stream.expect('EXECUTE_END');
  }

  private parseMacro(opener: Token): void {
    const stream = this.stream;
    stream.next();
    const name = stream.expect('NAME');
    this.macros.push({ name: name.value ?? '', token: name });
    this.parseArguments(true);
    this.expectExecuteEnd(opener);
    this.parseBody((token) => test(token, 'NAME', 'endmacro'));
    stream.next();
    stream.expect('EXECUTE_END');
  }

  private parseSet(opener: Token): void {
    const stream = this.stream;
    stream.next();
    this.parseNewVariableName();
    stream.expect('PUNCTUATION', '=');
    this.parseExpression(0);
    this.expectExecuteEnd(opener);
  }

  /** Pebble registers every macro when it compiles the template and refuses two of the same name. */
  checkMacros(): void {
    const seen = new Set<string>();
    for (const macro of this.macros) {
      if (seen.has(macro.name)) {
        throw new PebbleError(
          'RuntimeException',
          `io.pebbletemplates.pebble.error.PebbleException: More than one macro can not share the same name: ${macro.name} (?:?)`,
          undefined,
          macro.token.start,
          macro.token.end,
        );
      }
      seen.add(macro.name);
    }
  }

  private parseNewVariableName(): string {
    const token = this.stream.expect('NAME');
    const value = token.value ?? '';
    if (RESERVED_KEYWORDS.has(value)) throw parserError(`Can not assign a value to ${value}`, token);
    return value;
  }

  parseExpression(minPrecedence: number): ExpressionNode {
    const stream = this.stream;
    let token = stream.now();
    let expression: ExpressionNode;
    if (token.type === 'OPERATOR' && UNARY_OPERATORS.has(token.value ?? '')) {
      stream.next();
      const operand = this.parseExpression(500);
      const cls = token.value === 'not' ? 'UnaryNotExpression' : token.value === '+' ? 'UnaryPlusExpression' : 'UnaryMinusExpression';
      expression = { cls, start: token.start, end: operand.end };
    } else if (test(token, 'PUNCTUATION', '(')) {
      stream.next();
      const inner = this.parseExpression(0);
      const close = stream.expect('PUNCTUATION', ')');
      expression = this.parsePostfix({ ...inner, start: token.start, end: close.end });
    } else if (test(token, 'PUNCTUATION', '[')) {
      expression = this.parseArrayDefinition();
    } else if (test(token, 'PUNCTUATION', '{')) {
      expression = this.parseMapDefinition();
    } else {
      expression = this.subparseExpression();
    }
    token = stream.now();
    for (;;) {
      const operator = token.type === 'OPERATOR' ? BINARY_OPERATORS.get(token.value ?? '') : undefined;
      if (!operator || operator.precedence < minPrecedence) break;
      stream.next();
      let right: ExpressionNode;
      if (operator.type === 'FILTER') right = this.parseFilterInvocation();
      else if (operator.type === 'TEST') right = this.parseTestInvocation();
      else right = this.parseExpression(operator.precedence + 1);
      expression = { cls: operator.cls, start: expression.start, end: right.end };
      token = stream.now();
    }
    if (minPrecedence === 0) return this.parseTernary(expression);
    return expression;
  }

  private parseTernary(expression: ExpressionNode): ExpressionNode {
    const stream = this.stream;
    if (!test(stream.now(), 'PUNCTUATION', '?')) return expression;
    stream.next();
    this.parseExpression(0);
    stream.expect('PUNCTUATION', ':');
    const last = this.parseExpression(0);
    return { cls: 'TernaryExpression', start: expression.start, end: last.end };
  }

  private subparseExpression(): ExpressionNode {
    const stream = this.stream;
    const token = stream.now();
    let node: ExpressionNode;
    switch (token.type) {
      case 'NAME':
        switch (token.value) {
          case 'true':
          case 'TRUE':
          case 'false':
          case 'FALSE':
            node = { cls: 'LiteralBooleanExpression', start: token.start, end: token.end, bool: token.value.toLowerCase() === 'true' };
            stream.next();
            break;
          case 'none':
          case 'NONE':
          case 'null':
          case 'NULL':
            node = { cls: 'LiteralNullExpression', start: token.start, end: token.end };
            stream.next();
            break;
          default:
            node = test(stream.peek(), 'PUNCTUATION', '(')
              ? { cls: 'FunctionOrMacroNameNode', start: token.start, end: token.end, functionName: token.value ?? '' }
              : { cls: 'ContextVariableExpression', start: token.start, end: token.end };
            stream.next();
        }
        break;
      case 'LONG':
        checkLong(token.value ?? '', token);
        node = { cls: 'LiteralLongExpression', start: token.start, end: token.end };
        stream.next();
        break;
      case 'NUMBER': {
        const value = token.value ?? '';
        if (!value.includes('.')) checkLong(value, token);
        node = { cls: value.includes('.') ? 'LiteralDoubleExpression' : 'LiteralLongExpression', start: token.start, end: token.end };
        stream.next();
        break;
      }
      case 'STRING':
      case 'STRING_INTERPOLATION_START':
        node = this.parseStringExpression();
        break;
      default:
        throw parserError(
          `Unexpected token "${token.type}" of value "${token.value}"`,
          token,
          token.type === 'EOF' || token.type === 'PRINT_END' || token.type === 'EXECUTE_END' ? this.openerOr(token) : token,
        );
    }
    return this.parsePostfix(node);
  }

  private openerOr(token: Token): { start: number; end: number } {
    const open = this.lexer.openDelimiter;
    return token.type === 'EOF' && open !== undefined ? { start: open, end: open + 2 } : token;
  }

  private parseStringExpression(): ExpressionNode {
    const stream = this.stream;
    const nodes: ExpressionNode[] = [];
    let previous: TokenType | undefined;
    const start = stream.now().start;
    let end = start;
    for (;;) {
      const current = stream.now();
      if (current.type === 'STRING' && previous !== 'STRING') {
        stream.next();
        nodes.push({ cls: 'LiteralStringExpression', start: current.start, end: current.end, stringToken: current });
        previous = 'STRING';
        end = current.end;
      } else if (current.type === 'STRING_INTERPOLATION_START') {
        stream.next();
        nodes.push(this.parseExpression(0));
        end = stream.expect('STRING_INTERPOLATION_END').end;
        previous = 'STRING_INTERPOLATION_END';
      } else break;
    }
    if (nodes.length === 1) return nodes[0];
    // Include the quotes: the first token of an interpolated string follows its opening `"`.
    return { cls: 'ConcatenateExpression', start: start - 1, end: end + 1, interpolated: true };
  }

  private parsePostfix(node: ExpressionNode): ExpressionNode {
    const stream = this.stream;
    for (;;) {
      const current = stream.now();
      if (test(current, 'PUNCTUATION', '.') || test(current, 'PUNCTUATION', '[')) {
        node = this.parseBeanAttribute(node);
      } else if (test(current, 'PUNCTUATION', '(')) {
        node = this.parseFunctionInvocation(node);
      } else return node;
    }
  }

  private parseFunctionInvocation(node: ExpressionNode): ExpressionNode {
    if (node.functionName === undefined) {
      const cls = EXPRESSION_PACKAGE + node.cls;
      throw new PebbleError(
        'ClassCastException',
        `class ${cls} cannot be cast to class ${NAME_NODE} (${cls} and ${NAME_NODE} are in unnamed module of loader 'app')`,
        undefined,
        node.start,
        node.end,
      );
    }
    const open = this.stream.now();
    const slot = this.calls.length;
    if (node.functionName === 'secret') this.calls.push({ start: node.start, end: node.end, line: open.line, positional: [], named: [] });
    const args = this.parseArguments(false);
    if (node.functionName === 'secret')
      this.calls[slot] = { start: node.start, end: args.end, line: open.line, positional: args.positional, named: args.named };
    const cls =
      node.functionName === 'parent'
        ? 'ParentFunctionExpression'
        : node.functionName === 'block'
          ? 'BlockFunctionExpression'
          : 'FunctionOrMacroInvocationExpression';
    return { cls, start: node.start, end: args.end };
  }

  private parseFilterInvocation(): ExpressionNode {
    const stream = this.stream;
    const name = stream.expect('NAME');
    let end = name.end;
    if (test(stream.now(), 'PUNCTUATION', '(')) end = this.parseArguments(false).end;
    return { cls: 'FilterInvocationExpression', start: name.start, end };
  }

  private parseTestInvocation(): ExpressionNode {
    return { ...this.parseFilterInvocation(), cls: 'TestInvocationExpression' };
  }

  private parseBeanAttribute(node: ExpressionNode): ExpressionNode {
    const stream = this.stream;
    if (test(stream.now(), 'PUNCTUATION', '.')) {
      stream.next();
      const name = stream.expect('NAME');
      let end = name.end;
      if (test(stream.now(), 'PUNCTUATION', '(')) {
        const args = this.parseArguments(false);
        if (args.named.length > 0) throw parserError('Can not use named arguments when calling a bean method', stream.now());
        end = args.end;
      }
      return { cls: 'GetAttributeExpression', start: node.start, end };
    }
    stream.next();
    this.parseExpression(0);
    const close = stream.expect('PUNCTUATION', ']');
    return { cls: 'GetAttributeExpression', start: node.start, end: close.end };
  }

  parseArguments(isMacroDefinition: boolean): { positional: ExpressionNode[]; named: ParsedArgument[]; end: number } {
    const stream = this.stream;
    const positional: ExpressionNode[] = [];
    const named: ParsedArgument[] = [];
    stream.expect('PUNCTUATION', '(');
    while (!test(stream.now(), 'PUNCTUATION', ')')) {
      let name: string | undefined;
      let value: ExpressionNode | undefined;
      if (named.length > 0 || positional.length > 0) stream.expect('PUNCTUATION', ',');
      if (isMacroDefinition) {
        name = this.parseNewVariableName();
        if (test(stream.now(), 'PUNCTUATION', '=')) {
          stream.expect('PUNCTUATION', '=');
          value = this.parseExpression(0);
        }
      } else {
        if (test(stream.peek(), 'PUNCTUATION', '=')) {
          name = this.parseNewVariableName();
          stream.expect('PUNCTUATION', '=');
        }
        value = this.parseExpression(0);
      }
      if (name === undefined) {
        if (named.length > 0) throw parserError('Positional arguments must be declared before any named arguments.', stream.now());
        positional.push(value as ExpressionNode);
      } else {
        named.push({ name, value: value ?? { cls: 'absent', start: stream.now().start, end: stream.now().start } });
      }
    }
    const close = stream.expect('PUNCTUATION', ')');
    return { positional, named, end: close.end };
  }

  private parseArrayDefinition(): ExpressionNode {
    const stream = this.stream;
    const open = stream.expect('PUNCTUATION', '[');
    if (test(stream.now(), 'PUNCTUATION', ']')) {
      const close = stream.now();
      stream.next();
      return { cls: 'ArrayExpression', start: open.start, end: close.end };
    }
    for (;;) {
      this.parseExpression(0);
      if (test(stream.now(), 'PUNCTUATION', ']')) break;
      stream.expect('PUNCTUATION', ',');
    }
    const close = stream.expect('PUNCTUATION', ']');
    return { cls: 'ArrayExpression', start: open.start, end: close.end };
  }

  private parseMapDefinition(): ExpressionNode {
    const stream = this.stream;
    const open = stream.expect('PUNCTUATION', '{');
    if (test(stream.now(), 'PUNCTUATION', '}')) {
      const close = stream.now();
      stream.next();
      return { cls: 'MapExpression', start: open.start, end: close.end };
    }
    for (;;) {
      this.parseExpression(0);
      stream.expect('PUNCTUATION', ':');
      this.parseExpression(0);
      if (test(stream.now(), 'PUNCTUATION', '}')) break;
      stream.expect('PUNCTUATION', ',');
    }
    const close = stream.expect('PUNCTUATION', '}');
    return { cls: 'MapExpression', start: open.start, end: close.end };
  }
}

const LONG_MAX = '9223372036854775807';

/** Long.valueOf: digits beyond a signed 64-bit integer fail as in Java. */
function checkLong(digits: string, token: Token): void {
  if (digits.length < 19) return;
  const significant = digits.replace(/^0+/, '');
  if (significant.length > LONG_MAX.length || (significant.length === LONG_MAX.length && significant > LONG_MAX)) {
    throw new PebbleError('NumberFormatException', `For input string: "${digits}"`, undefined, token.start, token.end);
  }
}
