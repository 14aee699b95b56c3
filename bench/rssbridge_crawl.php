<?php
// The reference crawl: RSS-Bridge's XPathBridge reads every listing page of the fixture
// site, then every article the listings link to, and one Atom feed is written.
//
//   php -d curl.cainfo=CA rssbridge_crawl.php ROOT LISTING_URL PAGES CACHE_DIR OUT
//
// ROOT is the RSS-Bridge installation (Debian: /usr/share/rss-bridge).  Setting
// curl.cainfo makes RSS-Bridge fetch with curl, as it does when served by a web
// server: pages are kept in its cache and asked for again with If-Modified-Since.
// The bridges run in this one process (RSS-Bridge's display action would start one PHP
// request per URL), so the figure is RSS-Bridge's fetching and parsing, not PHP start-up.
// Prints one JSON line: listing items and articles read.

[$script, $root, $listing, $pages, $cacheDir, $out] = $argv;

// Defined before RSS-Bridge's own bootstrap, so the cache lives in CACHE_DIR and not in
// the system's cache folder; the bootstrap's second definition only warns.
define('PATH_CACHE', rtrim($cacheDir, '/') . '/');
$previous = error_reporting(E_ALL & ~E_WARNING);
require $root . '/lib/rssbridge.php';
error_reporting($previous);
Configuration::loadConfiguration();
ini_set('user_agent', 'rss-bridge reference crawl');
require_once PATH_LIB_BRIDGES . 'XPathBridge.php';

function run_bridge(array $params): array {
	$bridge = new XPathBridge();
	$bridge->setDatas($params);
	$bridge->loadConfiguration();
	$bridge->collectData();
	return $bridge->getItems();
}

$links = array();
for ($page = 1; $page <= (int)$pages; $page++) {
	$url = $page === 1 ? $listing : $listing . '?PAGEN_1=' . $page;
	$items = run_bridge(array(
		'url' => $url,
		'item' => '//div[@class="news-list"]/div[@class="news-item"]',
		'title' => './/span[@class="news-item__title"]',
		'content' => './/div[@class="news-item__preview"]',
		'uri' => './/a/@href',
		'timestamp' => './/div[contains(@class, "news-date-time")]',
	));
	foreach ($items as $item) {
		$links[$item->getURI()] = true;
	}
}

$entries = array();
foreach (array_keys($links) as $url) {
	$items = run_bridge(array(
		'url' => $url,
		'item' => '//div[@class="news-detail"]',
		'title' => './/h1',
		'content' => './/div[@class="news-detail__text"]',
		'timestamp' => './/span[@class="news-date-time"]',
		'enclosures' => './/img/@src',
	));
	if (count($items) > 0) {
		$items[0]->setURI($url);
		$entries[] = $items[0];
	}
}

$formats = new FormatFactory();
$formats->setWorkingDir(PATH_LIB_FORMATS);
$format = $formats->create('Atom');
$format->setItems($entries);
$format->setExtraInfos(array('name' => 'CSTO news', 'uri' => $listing, 'icon' => '', 'donationUri' => ''));
$format->setCharset('UTF-8');
file_put_contents($out, $format->stringify());
echo json_encode(array('listing_items' => count($links), 'articles' => count($entries))), "\n";
